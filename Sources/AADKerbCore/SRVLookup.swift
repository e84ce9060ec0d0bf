import Dispatch
import EndpointProbe
import Foundation

/// One DNS SRV record (RFC 2782).
public struct SRVRecord: Sendable, Equatable {
    public var priority: UInt16
    public var weight: UInt16
    public var port: UInt16
    public var target: String
}

public enum SRVLookupError: Error, Sendable, CustomStringConvertible {
    case noServer
    case network(String)
    case malformed(String)
    case rcode(Int, String)

    public var description: String {
        switch self {
        case .noServer: return "no DNS server: give --dns-server or a nameserver in /etc/resolv.conf"
        case let .network(text): return text
        case let .malformed(text): return "malformed answer (\(text))"
        case let .rcode(code, name): return "\(name): " + (code == 3 ? "no such name (NXDOMAIN)" : "server answered rcode \(code)")
        }
    }
}

/// DNS SRV lookups over UDP (RFC 1035) against one server, on a thread of their own: how DCs are
/// found, `_ldap._tcp.dc._msdcs.<domain>` (optionally `_ldap._tcp.<site>._sites.dc._msdcs.<domain>`).
public enum SRVLookup {
    /// The first `nameserver` of /etc/resolv.conf.
    public static func systemServer(_ resolvConf: String = "/etc/resolv.conf") -> String? {
        Resolvers.configured(path: resolvConf).first
    }

    /// The SRV records for `name` at `server` (port 53, or `port`). Over UDP on a connected socket
    /// (the kernel drops datagrams from any other address or port); the answer must carry the
    /// query's ID and question; a truncated answer is asked again over TCP. With `domain`, only
    /// targets inside that domain are kept: DNS chooses host names, and a host outside the
    /// domain cannot be one of its DCs. (Even inside it, a name DNS gives is not trusted with
    /// credentials: `DirectoryDC`.)
    public static func query(_ name: String, server: String, domain: String? = nil, port: UInt16 = 53,
                             timeout: Duration = .seconds(3)) async throws -> [SRVRecord] {
        let id = UInt16.random(in: 0...UInt16.max)
        let packet = try request(name, id: id)
        let records: [SRVRecord] = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue(label: "aadkerb.dns").async {
                continuation.resume(with: Result {
                    let udp = try parseAnswer(exchange(packet, server: server, port: port, timeout: timeout, tcp: false), id: id, name: name)
                    guard udp.truncated else { return udp.records }
                    return try parse(exchange(packet, server: server, port: port, timeout: timeout, tcp: true), id: id, name: name)
                })
            }
        }
        guard let domain else { return records }
        return records.filter { inside($0.target, domain: domain) }
    }

    /// Whether `host` is `domain` or a name below it (case-insensitive, trailing dot ignored).
    public static func inside(_ host: String, domain: String) -> Bool {
        func normal(_ s: String) -> String { (s.hasSuffix(".") ? String(s.dropLast()) : s).lowercased() }
        let host = normal(host), domain = normal(domain)
        return !domain.isEmpty && (host == domain || host.hasSuffix("." + domain))
    }

    /// RFC 2782 order: lowest priority first; within a priority, a weighted random order
    /// (records of weight 0 come first in the running sum, as the RFC's selection does).
    public static func ordered(_ records: [SRVRecord], random: (UInt32) -> UInt32 = { UInt32.random(in: 0...$0) }) -> [SRVRecord] {
        var out: [SRVRecord] = []
        for priority in Set(records.map(\.priority)).sorted() {
            var pool = records.filter { $0.priority == priority }.sorted { ($0.weight == 0 ? 0 : 1, $0.target) < ($1.weight == 0 ? 0 : 1, $1.target) }
            while !pool.isEmpty {
                let total = pool.reduce(UInt32(0)) { $0 + UInt32($1.weight) }
                let pick = random(total)
                var sum: UInt32 = 0
                let index = pool.firstIndex { sum += UInt32($0.weight); return sum >= pick } ?? 0
                out.append(pool.remove(at: index))
            }
        }
        return out
    }

    static func request(_ name: String, id: UInt16) throws -> [UInt8] {
        var bytes: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xff), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]  // RD, one question
        for label in name.split(separator: ".") {
            let raw = Array(label.utf8)
            guard !raw.isEmpty, raw.count < 64 else { throw SRVLookupError.malformed("bad label in \(name)") }
            bytes.append(UInt8(raw.count))
            bytes += raw
        }
        bytes += [0, 0, 33, 0, 1]  // root, QTYPE SRV, QCLASS IN
        return bytes
    }

    static func parse(_ d: [UInt8], id: UInt16, name: String) throws -> [SRVRecord] {
        try parseAnswer(d, id: id, name: name).records
    }

    /// The records of an answer, and whether the server truncated it (TC: ask again over TCP).
    /// Refused: another query's ID, a query rather than an answer, another question.
    static func parseAnswer(_ d: [UInt8], id: UInt16, name: String) throws -> (records: [SRVRecord], truncated: Bool) {
        guard d.count >= 12 else { throw SRVLookupError.malformed("short header") }
        guard UInt16(d[0]) << 8 | UInt16(d[1]) == id else { throw SRVLookupError.malformed("answer to another query") }
        guard d[2] & 0x80 != 0 else { throw SRVLookupError.malformed("a query, not an answer") }
        let truncated = d[2] & 0x02 != 0
        let rcode = Int(d[3] & 0x0f)
        guard rcode == 0 else { throw SRVLookupError.rcode(rcode, name) }
        let questions = Int(d[4]) << 8 | Int(d[5]), answers = Int(d[6]) << 8 | Int(d[7])
        guard questions == 1 else { throw SRVLookupError.malformed("\(questions) questions in the answer, not the one asked") }
        var offset = 12
        let asked = try readName(d, &offset)
        guard offset + 4 <= d.count else { throw SRVLookupError.malformed("truncated question") }
        guard asked.lowercased() == name.lowercased(), d[offset] == 0, d[offset + 1] == 33, d[offset + 2] == 0, d[offset + 3] == 1 else {
            throw SRVLookupError.malformed("answer to another question (\(asked))")
        }
        offset += 4
        if truncated { return ([], true) }
        var records: [SRVRecord] = []
        for _ in 0..<answers {
            _ = try readName(d, &offset)
            guard offset + 10 <= d.count else { throw SRVLookupError.malformed("truncated record") }
            let type = Int(d[offset]) << 8 | Int(d[offset + 1])
            let length = Int(d[offset + 8]) << 8 | Int(d[offset + 9])
            offset += 10
            guard offset + length <= d.count else { throw SRVLookupError.malformed("record longer than the answer") }
            if type == 33 {
                guard length >= 7 else { throw SRVLookupError.malformed("short SRV record") }
                func u16(_ o: Int) -> UInt16 { UInt16(d[o]) << 8 | UInt16(d[o + 1]) }
                var targetOffset = offset + 6
                let target = try readName(d, &targetOffset)
                records.append(SRVRecord(priority: u16(offset), weight: u16(offset + 2), port: u16(offset + 4), target: target))
            }
            offset += length
        }
        return (records, false)
    }

    /// A possibly compressed domain name; `offset` moves past it. Pointer loops are refused.
    static func readName(_ d: [UInt8], _ offset: inout Int) throws -> String {
        var labels: [String] = []
        var position = offset, jumped = false, jumps = 0
        while true {
            guard position < d.count else { throw SRVLookupError.malformed("name runs past the end") }
            let length = Int(d[position])
            if length == 0 {
                if !jumped { offset = position + 1 }
                return labels.joined(separator: ".")
            }
            if length & 0xc0 == 0xc0 {
                guard position + 1 < d.count, jumps < 32 else { throw SRVLookupError.malformed("bad compression pointer") }
                if !jumped { offset = position + 2 }
                jumped = true
                jumps += 1
                position = (length & 0x3f) << 8 | Int(d[position + 1])
                continue
            }
            guard length < 64, position + 1 + length <= d.count else { throw SRVLookupError.malformed("bad label") }
            labels.append(String(decoding: d[(position + 1)..<(position + 1 + length)], as: UTF8.self))
            position += 1 + length
        }
    }

    static func exchange(_ packet: [UInt8], server: String, port: UInt16 = 53, timeout: Duration, tcp: Bool) throws -> [UInt8] {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(port).bigEndian
        guard inet_pton(AF_INET, server, &address.sin_addr) == 1 else { throw SRVLookupError.network("\(server) is not an IPv4 address") }
        let fd = socket(AF_INET, Int32((tcp ? SOCK_STREAM : SOCK_DGRAM).rawValue), 0)
        guard fd >= 0 else { throw SRVLookupError.network("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let seconds = timeout.components.seconds
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let via = tcp ? "\(server) (TCP)" : server
        func failure(_ what: String) -> SRVLookupError { .network("\(what) \(via): \(String(cString: strerror(errno)))") }
        // connect() for UDP too: the kernel then delivers only datagrams from server:port
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw failure(errno == EINPROGRESS || errno == EAGAIN ? "no answer from" : "connect to") }
        let message = tcp ? [UInt8(packet.count >> 8), UInt8(packet.count & 0xff)] + packet : packet
        guard send(fd, message, message.count, Int32(MSG_NOSIGNAL)) == message.count else { throw failure("send to") }
        func receive(_ count: Int) throws -> [UInt8] {
            var buffer = [UInt8](repeating: 0, count: count)
            var have = 0
            repeat {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + have, count - have, 0) }
                if n < 0 && errno == EINTR { continue }
                if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { throw SRVLookupError.network("no answer from \(via) within \(seconds) s") }
                if n < 0 { throw failure("receive from") }
                if n == 0 { throw SRVLookupError.network("\(via) closed the connection") }
                have += n
            } while tcp && have < count
            return Array(buffer.prefix(have))
        }
        guard tcp else { return try receive(65535) }
        let prefix = try receive(2)
        let length = Int(prefix[0]) << 8 | Int(prefix[1])
        guard length >= 12 else { throw SRVLookupError.malformed("a \(length)-byte answer over TCP") }
        return try receive(length)
    }
}
