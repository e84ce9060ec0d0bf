import Foundation
import Testing
@testable import DNSClient

/// A query as a client sends it (RD, one question, QTYPE SRV, QCLASS IN): the fixtures' question.
func request(_ name: String, id: UInt16) -> [UInt8] {
    var bytes: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xff), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
    for label in name.split(separator: ".") { bytes += [UInt8(label.utf8.count)] + Array(label.utf8) }
    return bytes + [0, 0, 33, 0, 1]
}

@Suite struct SRVLookupTests {
    /// An answer as a DNS server sends it: the question, then two SRV records whose targets use
    /// name compression (pointers back into the question).
    func answer(id: UInt16) -> [UInt8] {
        var d: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xff), 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0]
        let question = request("_ldap._tcp.dc._msdcs.contoso.com", id: id).dropFirst(12)
        d += question
        // "contoso.com" starts at offset 12 + len("_ldap._tcp.dc._msdcs") labels = 12 + 22
        let contoso: UInt8 = 12 + 1 + 5 + 1 + 4 + 1 + 2 + 1 + 6
        func srv(_ prio: UInt16, _ weight: UInt16, _ host: String) -> [UInt8] {
            var rdata: [UInt8] = [UInt8(prio >> 8), UInt8(prio & 0xff), UInt8(weight >> 8), UInt8(weight & 0xff), 0x01, 0x85]  // port 389
            rdata += [UInt8(host.utf8.count)] + Array(host.utf8) + [0xc0, contoso]
            return [0xc0, 12, 0, 33, 0, 1, 0, 0, 2, 88, UInt8(rdata.count >> 8), UInt8(rdata.count & 0xff)] + rdata
        }
        return d + srv(0, 100, "dc1") + srv(10, 0, "dc2")
    }

    @Test func parsesCompressedSRVAnswers() throws {
        let records = try SRVLookup.parse(answer(id: 0x1234), name: "_ldap._tcp.dc._msdcs.contoso.com")
        #expect(records == [SRVRecord(priority: 0, weight: 100, port: 389, target: "dc1.contoso.com"),
                            SRVRecord(priority: 10, weight: 0, port: 389, target: "dc2.contoso.com")])
    }

    @Test func hostileAnswersThrowInsteadOfTrapping() {
        let good = answer(id: 7)
        for cut in 0..<good.count {  // every shorter answer is refused, by name, and none traps
            #expect(throws: SRVLookupError.self, "cut at \(cut)") {
                try SRVLookup.parse(Array(good.prefix(cut)), name: "_ldap._tcp.dc._msdcs.contoso.com")
            }
        }
        var loop = good
        loop[12] = 0xc0; loop[13] = 12  // the question's name points at itself
        #expect(throws: SRVLookupError.self) { try SRVLookup.parse(loop, name: "_ldap._tcp.dc._msdcs.contoso.com") }
        var nx = good
        nx[3] = 0x83
        #expect(throws: SRVLookupError.self) { try SRVLookup.parse(nx, name: "_ldap._tcp.dc._msdcs.contoso.com") }
    }

    @Test func rfc2782OrderIsPriorityThenWeighted() {
        let records = [SRVRecord(priority: 10, weight: 0, port: 389, target: "late"),
                       SRVRecord(priority: 0, weight: 10, port: 389, target: "light"),
                       SRVRecord(priority: 0, weight: 90, port: 389, target: "heavy")]
        // the pool is in a stable order (weight-0 first, then by name: heavy, light); the draw picks
        // the running-sum position: 0...90 -> heavy, 91...100 -> light
        #expect(SRVLookup.ordered(records, random: { _ in 50 }).map(\.target) == ["heavy", "light", "late"])
        #expect(SRVLookup.ordered(records, random: { _ in 95 }).map(\.target) == ["light", "heavy", "late"])
        #expect(SRVLookup.ordered([]).isEmpty)
    }
}

/// The lookup, through glibc's resolver, against small DNS servers on loopback (not port 53:
/// `port:`), each a thread that answers one query the way the test says.
@Suite struct SRVLookupSocketTests {
    /// How the fake server answers.
    enum Behaviour { case normal, fromAnotherPort, truncatedThenTCP, otherQuestion, otherID, outsideTheDomain, nxdomain, noRecords }

    /// An answer to `query` (its ID and question echoed) with SRV records for `targets`.
    static func answer(to query: [UInt8], targets: [String], truncated: Bool = false, question: [UInt8]? = nil, rcode: UInt8 = 0) -> [UInt8] {
        var d = Array(query.prefix(12))
        d[2] = 0x81 | (truncated ? 0x02 : 0); d[3] = 0x80 | rcode
        let q = question ?? Array(query.dropFirst(12))
        d[6] = 0; d[7] = truncated || rcode != 0 ? 0 : UInt8(targets.count)
        d[8] = 0; d[9] = 0; d[10] = 0; d[11] = 0
        d += q
        if truncated || rcode != 0 { return d }
        for target in targets {
            var rdata: [UInt8] = [0, 0, 0, 100, 0x02, 0x7c]  // prio 0, weight 100, port 636
            for label in target.split(separator: ".") { rdata += [UInt8(label.utf8.count)] + Array(label.utf8) }
            rdata += [0]
            d += [0xc0, 12, 0, 33, 0, 1, 0, 0, 0, 60, UInt8(rdata.count >> 8), UInt8(rdata.count & 0xff)] + rdata
        }
        return d
    }

    /// A socket of `type` bound to `host` (IPv4 or IPv6) and `port` (0: any); the fd and its port.
    static func bound(_ host: String, _ type: Int32, port: UInt16 = 0) -> (Int32, UInt16) {
        let six = host.contains(":")
        var storage = sockaddr_storage()
        let length = socklen_t(six ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
        withUnsafeMutableBytes(of: &storage) { raw in
            if six {
                var a = sockaddr_in6(); a.sin6_family = sa_family_t(AF_INET6); a.sin6_port = port.bigEndian
                _ = inet_pton(AF_INET6, host, &a.sin6_addr)
                withUnsafeBytes(of: a) { raw.copyMemory(from: $0) }
            } else {
                var a = sockaddr_in(); a.sin_family = sa_family_t(AF_INET); a.sin_port = port.bigEndian
                _ = inet_pton(AF_INET, host, &a.sin_addr)
                withUnsafeBytes(of: a) { raw.copyMemory(from: $0) }
            }
        }
        let fd = socket(six ? AF_INET6 : AF_INET, type, 0)
        var one: Int32 = 1; setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        _ = withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        var got = length
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &got) } }
        let bytes = withUnsafeBytes(of: storage) { Array($0.prefix(4)) }  // family (2), then the port, either family
        return (fd, UInt16(bytes[2]) << 8 | UInt16(bytes[3]))
    }

    /// Starts the fake server on `host` (UDP and TCP on one port); returns the port.
    static func serve(_ behaviour: Behaviour, targets: [String], host: String = "127.0.0.1") throws -> UInt16 {
        let (udp, port) = bound(host, Int32(SOCK_DGRAM.rawValue))
        let (tcp, _) = bound(host, Int32(SOCK_STREAM.rawValue), port: port)  // TCP on the same port number
        listen(tcp, 4)
        Thread.detachNewThread {
            defer { close(udp); close(tcp) }
            var buffer = [UInt8](repeating: 0, count: 512)
            var peer = sockaddr_storage(), peerLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let n = withUnsafeMutablePointer(to: &peer) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(udp, &buffer, 512, 0, $0, &peerLength) } }
            guard n > 0 else { return }
            let query = Array(buffer.prefix(n))
            func reply(_ fd: Int32, _ bytes: [UInt8]) {
                _ = withUnsafePointer(to: &peer) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, bytes, bytes.count, 0, $0, peerLength) } }
            }
            switch behaviour {
            case .normal, .outsideTheDomain:
                reply(udp, answer(to: query, targets: targets))
            case .noRecords:
                reply(udp, answer(to: query, targets: []))
            case .nxdomain:
                reply(udp, answer(to: query, targets: targets, rcode: 3))
            case .fromAnotherPort:
                let (other, _) = bound(host, Int32(SOCK_DGRAM.rawValue))
                reply(other, answer(to: query, targets: targets))
                close(other)
            case .otherQuestion:
                reply(udp, answer(to: query, targets: targets, question: request("_ldap._tcp.dc._msdcs.evil.example", id: 0).dropFirst(12).map { $0 }))
            case .otherID:
                var wrong = answer(to: query, targets: targets)
                wrong[0] ^= 0x5a
                reply(udp, wrong)
            case .truncatedThenTCP:
                reply(udp, answer(to: query, targets: targets, truncated: true))
                let c = accept(tcp, nil, nil)
                guard c >= 0 else { return }
                var header = [UInt8](repeating: 0, count: 2)
                _ = recv(c, &header, 2, Int32(MSG_WAITALL))
                var q = [UInt8](repeating: 0, count: Int(header[0]) << 8 | Int(header[1]))
                _ = recv(c, &q, q.count, Int32(MSG_WAITALL))
                let full = answer(to: q, targets: targets)
                _ = send(c, [UInt8(full.count >> 8), UInt8(full.count & 0xff)] + full, full.count + 2, 0)
                close(c)
            }
        }
        return port
    }

    let name = "_ldap._tcp.dc._msdcs.contoso.com"

    @Test func answersFromTheServerAreRead() async throws {
        let port = try Self.serve(.normal, targets: ["dc1.contoso.com"])
        let records = try await SRVLookup.query(name, server: "127.0.0.1", domain: "contoso.com", port: port)
        #expect(records.map(\.target) == ["dc1.contoso.com"])
        #expect(records.first?.port == 636)
    }

    @Test func anIPv6ServerIsAsked() async throws {
        let port = try Self.serve(.normal, targets: ["dc6.contoso.com"], host: "::1")
        let records = try await SRVLookup.query(name, server: "::1", domain: "contoso.com", port: port)
        #expect(records == [SRVRecord(priority: 0, weight: 100, port: 636, target: "dc6.contoso.com")])
        let bracketed = try Self.serve(.normal, targets: ["dc6.contoso.com"], host: "::1")
        #expect(try await SRVLookup.query(name, server: "[::1]", port: bracketed).map(\.target) == ["dc6.contoso.com"])
    }

    /// The servers are asked in turn, as resolv.conf's are: one that refuses (nothing listens on
    /// 127.0.0.2 at that port) does not end the lookup.
    @Test func theNextServerIsAskedWhenOneFails() async throws {
        let port = try Self.serve(.normal, targets: ["dc1.contoso.com"])
        let records = try await SRVLookup.query(name, servers: ["127.0.0.2", "127.0.0.1"], domain: "contoso.com", port: port, timeout: .seconds(1))
        #expect(records.map(\.target) == ["dc1.contoso.com"])
    }

    @Test func noAnswerNamesTheServersAsked() async throws {
        let (silent, port) = Self.bound("127.0.0.1", Int32(SOCK_DGRAM.rawValue))  // bound, never answers
        defer { close(silent) }
        let error = await #expect(throws: SRVLookupError.self) {
            try await SRVLookup.query(name, servers: ["127.0.0.1", "::1"], port: port, timeout: .seconds(1), attempts: 1)
        }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("127.0.0.1:\(port)") && text.contains("[::1]:\(port)"), "\(text)")
        guard case .network = error else { Issue.record("not a network error: \(text)"); return }
    }

    @Test func aNameThatDoesNotExistIsNXDOMAIN() async throws {
        let port = try Self.serve(.nxdomain, targets: ["dc1.contoso.com"])
        let error = await #expect(throws: SRVLookupError.self) { try await SRVLookup.query(name, server: "127.0.0.1", port: port) }
        guard case let .rcode(code, asked) = error else { Issue.record("not an rcode: \(String(describing: error))"); return }
        #expect(code == 3 && asked == name)
    }

    @Test func aNameWithoutSRVRecordsGivesNone() async throws {
        let port = try Self.serve(.noRecords, targets: [])
        #expect(try await SRVLookup.query(name, server: "127.0.0.1", port: port).isEmpty)
    }

    /// The resolver's socket is connected: a datagram from another port never reaches it, and
    /// the lookup ends without an answer.
    @Test func anAnswerFromAnotherPortIsNotAccepted() async throws {
        let port = try Self.serve(.fromAnotherPort, targets: ["rogue.contoso.com"])
        await #expect(throws: SRVLookupError.self) {
            try await SRVLookup.query(name, server: "127.0.0.1", domain: "contoso.com", port: port, timeout: .milliseconds(700), attempts: 1)
        }
    }

    /// An answer to another question, or with another ID (a spoofing attempt), is dropped by the
    /// resolver as not the answer to this query: the lookup ends without an answer.
    @Test(arguments: [Behaviour.otherQuestion, .otherID])
    func anAnswerToAnotherQueryIsNotAccepted(_ behaviour: Behaviour) async throws {
        let port = try Self.serve(behaviour, targets: ["rogue.contoso.com"])
        let error = await #expect(throws: SRVLookupError.self) {
            try await SRVLookup.query(name, server: "127.0.0.1", domain: "contoso.com", port: port, timeout: .seconds(1), attempts: 1)
        }
        guard case .network = error else { Issue.record("not a network error: \(String(describing: error))"); return }
    }

    /// More DCs than a 512-byte UDP answer holds: the server sets TC, and the resolver asks
    /// again over TCP and gets all of them (`dcs` must not report DCs missing from DNS).
    @Test func aTruncatedAnswerIsAskedAgainOverTCP() async throws {
        let many = (1...40).map { "dc\($0).contoso.com" }
        let port = try Self.serve(.truncatedThenTCP, targets: many)
        let records = try await SRVLookup.query(name, server: "127.0.0.1", domain: "contoso.com", port: port)
        #expect(records.map(\.target) == many)
    }

    @Test func targetsOutsideTheDomainAreDropped() async throws {
        let port = try Self.serve(.outsideTheDomain, targets: ["dc1.contoso.com", "dc.contoso.com.evil.example", "evilcontoso.com", "DC2.CONTOSO.COM"])
        let records = try await SRVLookup.query(name, server: "127.0.0.1", domain: "contoso.com", port: port)
        #expect(records.map(\.target) == ["dc1.contoso.com", "DC2.CONTOSO.COM"])
        #expect(SRVLookup.inside("contoso.com.", domain: "Contoso.com"))
        #expect(!SRVLookup.inside("xcontoso.com", domain: "contoso.com"))
    }

    @Test func aServerThatIsNotAnAddressIsRefused() async throws {
        let error = await #expect(throws: SRVLookupError.self) { try await SRVLookup.query(name, server: "dns.example", port: 53) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("not an IPv4 or IPv6 address"))
    }

    @Test func aQueryEchoedBackIsNotAnAnswer() throws {
        let query = request(name, id: 9)
        #expect(throws: SRVLookupError.self) { try SRVLookup.parse(query, name: name) }
    }
}
