import Dispatch
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
        case let .network(text): return "DNS: \(text)"
        case let .malformed(text): return "DNS: malformed answer (\(text))"
        case let .rcode(code, name): return "DNS: \(name): " + (code == 3 ? "no such name (NXDOMAIN)" : "server answered rcode \(code)")
        }
    }
}

/// DNS SRV lookups over UDP (RFC 1035) against one server, on a thread of their own: how DCs are
/// found, `_ldap._tcp.dc._msdcs.<domain>` (optionally `_ldap._tcp.<site>._sites.dc._msdcs.<domain>`).
public enum SRVLookup {
    /// The first `nameserver` of /etc/resolv.conf.
    public static func systemServer(_ resolvConf: String = "/etc/resolv.conf") -> String? {
        guard let text = try? String(contentsOfFile: resolvConf, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count >= 2 && fields[0] == "nameserver" { return String(fields[1]) }
        }
        return nil
    }

    public static func query(_ name: String, server: String, timeout: Duration = .seconds(3)) async throws -> [SRVRecord] {
        let id = UInt16.random(in: 0...UInt16.max)
        let packet = try request(name, id: id)
        let answer: [UInt8] = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue(label: "aadkerb.dns").async {
                continuation.resume(with: Result { try exchange(packet, server: server, timeout: timeout) })
            }
        }
        return try parse(answer, id: id, name: name)
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
        guard d.count >= 12 else { throw SRVLookupError.malformed("short header") }
        guard UInt16(d[0]) << 8 | UInt16(d[1]) == id else { throw SRVLookupError.malformed("answer to another query") }
        let rcode = Int(d[3] & 0x0f)
        guard rcode == 0 else { throw SRVLookupError.rcode(rcode, name) }
        let questions = Int(d[4]) << 8 | Int(d[5]), answers = Int(d[6]) << 8 | Int(d[7])
        var offset = 12
        for _ in 0..<questions {
            _ = try readName(d, &offset)
            offset += 4
        }
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
        return records
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

    static func exchange(_ packet: [UInt8], server: String, timeout: Duration) throws -> [UInt8] {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(53).bigEndian
        guard inet_pton(AF_INET, server, &address.sin_addr) == 1 else { throw SRVLookupError.network("\(server) is not an IPv4 address") }
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw SRVLookupError.network("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let seconds = timeout.components.seconds
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let sent = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, packet, packet.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard sent == packet.count else { throw SRVLookupError.network("send to \(server): \(String(cString: strerror(errno)))") }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let received = recv(fd, &buffer, buffer.count, 0)
        guard received > 0 else { throw SRVLookupError.network("no answer from \(server) within \(seconds) s") }
        return Array(buffer.prefix(received))
    }
}
