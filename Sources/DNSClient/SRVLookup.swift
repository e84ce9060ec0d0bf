import CResolv
import Dispatch
import EndpointProbe
import Foundation

/// One DNS SRV record (RFC 2782).
public struct SRVRecord: Sendable, Equatable {
    public var priority: UInt16
    public var weight: UInt16
    public var port: UInt16
    public var target: String

    public init(priority: UInt16, weight: UInt16, port: UInt16, target: String) {
        self.priority = priority
        self.weight = weight
        self.port = port
        self.target = target
    }
}

public enum SRVLookupError: Error, Sendable, CustomStringConvertible {
    /// Neither a server given nor a nameserver in /etc/resolv.conf.
    case noServer
    /// No server answered (silent, refused, unreachable); the text names the servers asked.
    case network(String)
    /// An answer that does not parse.
    case malformed(String)
    /// The server answered with an error: 3 is NXDOMAIN (the name does not exist).
    case rcode(Int, String)

    public var description: String {
        switch self {
        case .noServer: return "no DNS server: none given and no nameserver in /etc/resolv.conf"
        case let .network(text): return text
        case let .malformed(text): return "malformed answer (\(text))"
        case let .rcode(code, name): return "\(name): " + (code == 3 ? "no such name (NXDOMAIN)" : "server answered rcode \(code)")
        }
    }
}

/// DNS SRV lookups through glibc's stub resolver, on a thread of their own: how DCs are found,
/// `_ldap._tcp.dc._msdcs.<domain>` (optionally `_ldap._tcp.<site>._sites.dc._msdcs.<domain>`).
///
/// Each lookup has a resolver state of its own (`res_ninit`: every nameserver of
/// /etc/resolv.conf, tried in turn; or the server given, IPv4 or IPv6), asks with `res_nquery`
/// (a random ID; an answer must come from the server asked and carry the query's ID and
/// question, else it is ignored; a truncated UDP answer is asked again over TCP) and reads the
/// answer with `ns_initparse`/`ns_parserr`/`dn_expand`.
public enum SRVLookup {
    /// The first `nameserver` of /etc/resolv.conf.
    public static func systemServer(_ resolvConf: String = "/etc/resolv.conf") -> String? {
        Resolvers.configured(path: resolvConf).first
    }

    /// The SRV records for `name`, asked of `server` (an IPv4 or IPv6 address; port 53, or
    /// `port`), or, when `server` is nil, of every nameserver of /etc/resolv.conf in turn. An
    /// existing name with no SRV records gives none; a name that does not exist is
    /// `.rcode(3, name)`; no answer from any server is `.network`, naming them. With `domain`,
    /// only targets inside that domain are kept: DNS chooses host names, and a host outside the
    /// domain cannot be one of its DCs. (Even inside it, a name DNS gives is not trusted with
    /// credentials: `DirectoryDC`.)
    public static func query(_ name: String, server: String?, domain: String? = nil, port: UInt16 = 53,
                             timeout: Duration = .seconds(3), attempts: Int = 2) async throws -> [SRVRecord] {
        try await query(name, servers: server.map { [$0] } ?? [], domain: domain, port: port, timeout: timeout, attempts: attempts)
    }

    /// As above, with up to three servers of the caller's, asked in turn (none: resolv.conf's).
    public static func query(_ name: String, servers: [String], domain: String? = nil, port: UInt16 = 53,
                             timeout: Duration = .seconds(3), attempts: Int = 2) async throws -> [SRVRecord] {
        let records: [SRVRecord] = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue(label: "aadkerb.dns").async {
                continuation.resume(with: Result {
                    try blockingQuery(name, servers: servers, port: port, timeout: timeout, attempts: attempts)
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

    /// The IPv4 or IPv6 socket address of `server`:`port`; nil when `server` is neither.
    static func socketAddress(_ server: String, port: UInt16) -> sockaddr_in6? {
        var storage = sockaddr_in6()
        var v4 = sockaddr_in()
        if inet_pton(AF_INET, server, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            withUnsafeMutableBytes(of: &storage) { out in withUnsafeBytes(of: v4) { out.copyMemory(from: $0) } }
            return storage
        }
        var v6 = sockaddr_in6()
        // "[::1]" as well as "::1"
        let bare = server.hasPrefix("[") && server.hasSuffix("]") ? String(server.dropFirst().dropLast()) : server
        guard inet_pton(AF_INET6, bare, &v6.sin6_addr) == 1 else { return nil }
        v6.sin6_family = sa_family_t(AF_INET6)
        v6.sin6_port = port.bigEndian
        return v6
    }

    static func blockingQuery(_ name: String, servers: [String], port: UInt16, timeout: Duration, attempts: Int) throws -> [SRVRecord] {
        guard let state = aadkerb_res_new() else { throw SRVLookupError.network("the resolver could not be initialised (res_ninit)") }
        defer { aadkerb_res_free(state) }
        guard servers.count <= Int(MAXNS) else { throw SRVLookupError.network("at most \(MAXNS) DNS servers, not \(servers.count)") }
        for (index, server) in servers.enumerated() {
            guard var address = socketAddress(server, port: port) else {
                throw SRVLookupError.network("\(server) is not an IPv4 or IPv6 address")
            }
            let set = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { aadkerb_res_set_server(state, Int32(index), $0) }
            }
            guard set == 0 else { throw SRVLookupError.network("cannot use \(server) as a DNS server") }
        }
        if servers.isEmpty, Resolvers.configured().isEmpty { throw SRVLookupError.noServer }
        let seconds = max(1, Int(timeout.components.seconds) + (timeout.components.attoseconds > 0 ? 1 : 0))
        aadkerb_res_set_timing(state, Int32(seconds), Int32(attempts))
        let asked = (0..<aadkerb_res_server_count(state)).map { i -> String in
            var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            var serverPort: UInt16 = 0
            guard aadkerb_res_server_text(state, i, &text, socklen_t(text.count), &serverPort) == 0 else { return "?" }
            let host = String(cString: text)
            let shown = host.contains(":") ? "[\(host)]" : host
            return serverPort == 53 ? host : "\(shown):\(serverPort)"
        }.joined(separator: ", ")

        var answer = [UInt8](repeating: 0, count: 65535)
        errno = 0
        let length = answer.withUnsafeMutableBufferPointer {
            res_nquery(state, name, Int32(ns_c_in.rawValue), Int32(ns_t_srv.rawValue), $0.baseAddress, Int32($0.count))
        }
        if length < 0 {
            let sendError = errno
            // The buffer may hold a datagram the resolver rejected (another ID or question): only
            // h_errno says what happened. res_nquery judges the rcode of an answer it accepted.
            switch aadkerb_res_h_errno(state) {
            case HOST_NOT_FOUND: throw SRVLookupError.rcode(3, name)  // NXDOMAIN
            case NO_DATA: return []  // the name exists, without SRV records
            case NO_RECOVERY: throw SRVLookupError.rcode(Int(answer[3] & 0x0f), name)  // FORMERR and the like
            default:
                // TRY_AGAIN: no answer at all, or only SERVFAIL/REFUSED (glibc then tries the next server)
                if sendError == ECONNREFUSED { throw SRVLookupError.network("refused by \(asked) (nothing listens on the DNS port)") }
                throw SRVLookupError.network("no answer from \(asked) within \(seconds) s (\(attempts) tries each; SERVFAIL and REFUSED count as none)")
            }
        }
        return try parse(Array(answer.prefix(Int(length))), name: name)
    }

    /// The SRV records of an answer to `name` (compressed names expanded), read with glibc's
    /// `ns_initparse`/`ns_parserr`/`dn_expand`. Refused: a query rather than an answer, another
    /// question, an error rcode, records that run past the answer. Records of other types
    /// (a CNAME on the way) are skipped. The wire bytes come from the network: no length in
    /// them is trusted.
    public static func parse(_ answer: [UInt8], name: String) throws -> [SRVRecord] {
        try answer.withUnsafeBufferPointer { buffer -> [SRVRecord] in
            guard let base = buffer.baseAddress, buffer.count >= 12 else { throw SRVLookupError.malformed("short header") }
            var message = ns_msg()
            guard ns_initparse(base, Int32(buffer.count), &message) == 0 else {
                throw SRVLookupError.malformed("the answer's sections run past its \(buffer.count) bytes")
            }
            guard aadkerb_ns_is_response(&message) != 0 else { throw SRVLookupError.malformed("a query, not an answer") }
            let rcode = Int(aadkerb_ns_rcode(&message))
            guard rcode == 0 else { throw SRVLookupError.rcode(rcode, name) }
            let questions = aadkerb_ns_count(&message, ns_s_qd)
            guard questions == 1 else { throw SRVLookupError.malformed("\(questions) questions in the answer, not the one asked") }
            var rr = ns_rr()
            guard ns_parserr(&message, ns_s_qd, 0, &rr) == 0 else { throw SRVLookupError.malformed("unreadable question") }
            let asked = fieldString(rr.name)
            func normal(_ s: String) -> String { (s.hasSuffix(".") ? String(s.dropLast()) : s).lowercased() }
            guard normal(asked) == normal(name), rr.type == UInt16(ns_t_srv.rawValue), rr.rr_class == UInt16(ns_c_in.rawValue) else {
                throw SRVLookupError.malformed("answer to another question (\(asked))")
            }
            var records: [SRVRecord] = []
            for index in 0..<aadkerb_ns_count(&message, ns_s_an) {
                guard ns_parserr(&message, ns_s_an, index, &rr) == 0 else { throw SRVLookupError.malformed("unreadable record \(index + 1)") }
                guard rr.type == UInt16(ns_t_srv.rawValue) else { continue }
                guard rr.rdlength >= 7, let rdata = rr.rdata else { throw SRVLookupError.malformed("short SRV record") }
                func u16(_ o: Int) -> UInt16 { UInt16(rdata[o]) << 8 | UInt16(rdata[o + 1]) }
                var target = [CChar](repeating: 0, count: Int(NS_MAXDNAME) + 1)
                let used = dn_expand(aadkerb_ns_base(&message), aadkerb_ns_end(&message), rdata + 6, &target, Int32(target.count))
                guard used > 0, 6 + Int(used) <= Int(rr.rdlength) else { throw SRVLookupError.malformed("bad target name in SRV record \(index + 1)") }
                records.append(SRVRecord(priority: u16(0), weight: u16(2), port: u16(4), target: String(cString: target)))
            }
            return records
        }
    }

    /// A fixed C char array (ns_rr's name) as a String.
    private static func fieldString<T>(_ field: T) -> String {
        withUnsafeBytes(of: field) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
