import Foundation
import Testing
@testable import AADKerbCore

@Suite struct SRVLookupTests {
    /// An answer as a DNS server sends it: the question, then two SRV records whose targets use
    /// name compression (pointers back into the question).
    func answer(id: UInt16) -> [UInt8] {
        var d: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xff), 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0]
        let question = try! SRVLookup.request("_ldap._tcp.dc._msdcs.contoso.com", id: id).dropFirst(12)
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
        let records = try SRVLookup.parse(answer(id: 0x1234), id: 0x1234, name: "_ldap._tcp.dc._msdcs.contoso.com")
        #expect(records == [SRVRecord(priority: 0, weight: 100, port: 389, target: "dc1.contoso.com"),
                            SRVRecord(priority: 10, weight: 0, port: 389, target: "dc2.contoso.com")])
    }

    @Test func hostileAnswersThrowInsteadOfTrapping() {
        let good = answer(id: 7)
        #expect(throws: SRVLookupError.self) { try SRVLookup.parse(good, id: 8, name: "_ldap._tcp.dc._msdcs.contoso.com") }  // another query's answer
        for cut in 0..<good.count {
            _ = try? SRVLookup.parse(Array(good.prefix(cut)), id: 7, name: "_ldap._tcp.dc._msdcs.contoso.com")  // must not trap
        }
        var loop = good
        loop[12] = 0xc0; loop[13] = 12  // the question's name points at itself
        #expect(throws: SRVLookupError.self) { try SRVLookup.parse(loop, id: 7, name: "_ldap._tcp.dc._msdcs.contoso.com") }
        var nx = good
        nx[3] = 0x83
        #expect(throws: SRVLookupError.self) { try SRVLookup.parse(nx, id: 7, name: "_ldap._tcp.dc._msdcs.contoso.com") }
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

/// The lookup's socket against small DNS servers on loopback (not port 53: `port:`), each a
/// thread that answers one query the way the test says.
@Suite struct SRVLookupSocketTests {
    /// How the fake server answers.
    enum Behaviour { case normal, fromAnotherPort, truncatedThenTCP, otherQuestion, outsideTheDomain }

    /// An answer to `query` (its ID and question echoed) with SRV records for `targets`.
    static func answer(to query: [UInt8], targets: [String], truncated: Bool = false, question: [UInt8]? = nil) -> [UInt8] {
        var d = Array(query.prefix(12))
        d[2] = 0x81 | (truncated ? 0x02 : 0); d[3] = 0x80
        let q = question ?? Array(query.dropFirst(12))
        d[6] = 0; d[7] = truncated ? 0 : UInt8(targets.count)
        d += q
        if truncated { return d }
        for target in targets {
            var rdata: [UInt8] = [0, 0, 0, 100, 0x02, 0x7c]  // prio 0, weight 100, port 636
            for label in target.split(separator: ".") { rdata += [UInt8(label.utf8.count)] + Array(label.utf8) }
            rdata += [0]
            d += [0xc0, 12, 0, 33, 0, 1, 0, 0, 0, 60, UInt8(rdata.count >> 8), UInt8(rdata.count & 0xff)] + rdata
        }
        return d
    }

    /// Starts the fake server on 127.0.0.1 (UDP and TCP on one port); returns the port.
    static func serve(_ behaviour: Behaviour, targets: [String]) throws -> UInt16 {
        @Sendable func bound(_ type: Int32) -> (Int32, UInt16) {
            let fd = socket(AF_INET, type, 0)
            var a = sockaddr_in(); a.sin_family = sa_family_t(AF_INET); a.sin_addr.s_addr = inet_addr("127.0.0.1")
            var one: Int32 = 1; setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
            return (fd, UInt16(bigEndian: a.sin_port))
        }
        let (udp, port) = bound(Int32(SOCK_DGRAM.rawValue))
        // TCP on the same port number
        let tcp = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var a = sockaddr_in(); a.sin_family = sa_family_t(AF_INET); a.sin_addr.s_addr = inet_addr("127.0.0.1"); a.sin_port = port.bigEndian
        var one: Int32 = 1; setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(tcp, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        listen(tcp, 4)
        Thread.detachNewThread {
            defer { close(udp); close(tcp) }
            var buffer = [UInt8](repeating: 0, count: 512)
            var peer = sockaddr_in(), peerLength = socklen_t(MemoryLayout<sockaddr_in>.size)
            let n = withUnsafeMutablePointer(to: &peer) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(udp, &buffer, 512, 0, $0, &peerLength) } }
            guard n > 0 else { return }
            let query = Array(buffer.prefix(n))
            func reply(_ fd: Int32, _ bytes: [UInt8]) {
                _ = withUnsafePointer(to: &peer) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, bytes, bytes.count, 0, $0, peerLength) } }
            }
            switch behaviour {
            case .normal, .outsideTheDomain:
                reply(udp, answer(to: query, targets: targets))
            case .fromAnotherPort:
                let (other, _) = bound(Int32(SOCK_DGRAM.rawValue))
                reply(other, answer(to: query, targets: targets))
                close(other)
            case .otherQuestion:
                reply(udp, answer(to: query, targets: targets, question: try! SRVLookup.request("_ldap._tcp.dc._msdcs.evil.example", id: 0).dropFirst(12).map { $0 }))
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

    @Test func anAnswerFromAnotherPortIsNotAccepted() async throws {
        let port = try Self.serve(.fromAnotherPort, targets: ["rogue.contoso.com"])
        await #expect(throws: SRVLookupError.self) {
            try await SRVLookup.query(name, server: "127.0.0.1", domain: "contoso.com", port: port, timeout: .milliseconds(700))
        }
    }

    @Test func anAnswerToAnotherQuestionIsRefused() async throws {
        let port = try Self.serve(.otherQuestion, targets: ["rogue.contoso.com"])
        let error = await #expect(throws: SRVLookupError.self) {
            try await SRVLookup.query(name, server: "127.0.0.1", domain: "contoso.com", port: port)
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("another question"))
    }

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

    @Test func aQueryEchoedBackIsNotAnAnswer() throws {
        let query = try SRVLookup.request(name, id: 9)
        #expect(throws: SRVLookupError.self) { try SRVLookup.parse(query, id: 9, name: name) }
    }
}
