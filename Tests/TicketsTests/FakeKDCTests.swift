import Foundation
import Basics
import SwiftASN1
import Testing
@testable import Tickets

/// A one-shot KDC on 127.0.0.88 (an ephemeral port, so tests run in parallel): it accepts one
/// connection, reads the length-prefixed request, then does what the test scripted.
final class FakeKDC: @unchecked Sendable {
    enum Behaviour {
        case reply([UInt8])                  // length prefix + bytes
        case raw([UInt8])                    // bytes as they are (no prefix), then close
        case silent(Duration)                // accept, read, say nothing for this long
        case refuse                          // close right after accepting
    }

    let host = "127.0.0.88"
    let port: UInt16
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var received: [UInt8] = []
    var request: [UInt8] { lock.withLock { received } }

    init(_ behaviour: Behaviour) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = 0
        inet_pton(AF_INET, "127.0.0.88", &sin.sin_addr)
        let bound = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 1) == 0 else {
            let e = errno
            close(fd)
            throw TestFailure("bind/listen on 127.0.0.88: errno \(e)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = UInt16(bigEndian: sin.sin_port)
        Thread.detachNewThread { [self] in serve(fd, behaviour) }
    }

    private func serve(_ listener: Int32, _ behaviour: Behaviour) {
        defer { close(listener); done.signal() }
        let c = accept(listener, nil, nil)
        guard c >= 0 else { return }
        defer { close(c) }
        if case .refuse = behaviour { return }
        var header = [UInt8](repeating: 0, count: 4)
        guard readAll(c, &header) else { return }
        let n = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
        var body = [UInt8](repeating: 0, count: n)
        guard readAll(c, &body) else { return }
        lock.withLock { received = body }
        switch behaviour {
        case .reply(let bytes):
            let count = UInt32(bytes.count)
            writeAll(c, [UInt8(count >> 24), UInt8((count >> 16) & 0xff), UInt8((count >> 8) & 0xff), UInt8(count & 0xff)] + bytes)
        case .raw(let bytes): writeAll(c, bytes)
        case .silent(let d): Thread.sleep(forTimeInterval: Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
        case .refuse: break
        }
    }

    func finish() { done.wait() }

    private func readAll(_ c: Int32, _ buffer: inout [UInt8]) -> Bool {
        var got = 0
        while got < buffer.count {
            let n = buffer.withUnsafeMutableBytes { recv(c, $0.baseAddress! + got, $0.count - got, 0) }
            if n <= 0 { return false }
            got += n
        }
        return true
    }

    private func writeAll(_ c: Int32, _ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(c, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }
}

extension TicketsSuites {
@Suite struct FakeKDCTests {
    static let sid = try! SecurityIdentifier("S-1-5-21-1-2-3-1105")
    static func tgt() throws -> PartialTGT {
        try PartialTGT.mint(realm: "CONTOSO.TEST", userName: "alice", userSID: sid, rodcNumber: 7, keyVersion: 1, key: Support.testKey)
    }

    /// Runs one exchange against a fake KDC; returns the outcome or the error, and how long it took.
    func exchange(_ behaviour: FakeKDC.Behaviour, timeout: Duration = .seconds(3)) throws -> (Result<ExchangeOutcome, TicketsError>, Duration) {
        let kdc = try FakeKDC(behaviour)
        defer { kdc.finish() }
        let x = try TicketExchange(kdc: kdc.host, port: kdc.port, timeout: timeout)
        let tgt = try Self.tgt()
        let start = ContinuousClock.now
        let result: Result<ExchangeOutcome, TicketsError>
        do { result = .success(try x.exchange(tgt, for: .krbtgt(realm: "CONTOSO.TEST"))) } catch let e as TicketsError { result = .failure(e) }
        return (result, ContinuousClock.now - start)
    }

    func expectMalformed(_ behaviour: FakeKDC.Behaviour, _ words: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (result, elapsed) = try exchange(behaviour)
        guard case .failure(.malformedReply(let m)) = result else {
            Issue.record("expected a malformed-reply error, got \(result)", sourceLocation: sourceLocation)
            return
        }
        if !words.isEmpty { #expect(m.contains(words), "message: \(m)", sourceLocation: sourceLocation) }
        #expect(elapsed < .seconds(3), sourceLocation: sourceLocation)
    }

    /// A KRB-ERROR built field by field; `drop` leaves fields out, `errorCodeNode` replaces the code.
    static func krbError(code: Int = 20, drop: Set<UInt> = [], text: String? = "no", codeAsString: Bool = false) throws -> [UInt8] {
        try KDER.encode { s in
            try s.appendConstructedNode(identifier: KDER.application(30)) { s in
                try s.appendConstructedNode(identifier: .sequence) { s in
                    if !drop.contains(0) { try KDER.int(&s, 0, 5) }
                    if !drop.contains(1) { try KDER.int(&s, 1, 30) }
                    if !drop.contains(4) { KDER.time(&s, 4, Date()) }
                    if !drop.contains(5) { try KDER.int(&s, 5, 0) }
                    if !drop.contains(6) { if codeAsString { KDER.string(&s, 6, "twenty") } else { try KDER.int(&s, 6, code) } }
                    if !drop.contains(9) { KDER.string(&s, 9, "CONTOSO.TEST") }
                    if !drop.contains(10) { try PrincipalName.krbtgt(realm: "CONTOSO.TEST").encode(&s, 10) }
                    if let text { KDER.string(&s, 11, text) }
                }
            }
        }
    }

    @Test func aWellFormedKRBErrorIsARefusal() throws {
        let (result, _) = try exchange(.reply(try Self.krbError(code: 20, text: "revoked")))
        #expect(try result.get() == .refused(.tgtRevoked, text: "revoked"))
        let (plain, _) = try exchange(.reply(try Self.krbError(code: 44, text: nil)))
        #expect(try plain.get() == .refused(.badKeyVersion, text: nil))
    }

    @Test func theRequestIsATGSREQ() throws {
        let kdc = try FakeKDC(.reply(try Self.krbError()))
        _ = try TicketExchange(kdc: kdc.host, port: kdc.port).exchange(try Self.tgt(), for: PrincipalName("ldap/dc1.contoso.test"))
        kdc.finish()
        let node = try KDER.parse(kdc.request)
        #expect(node.identifier == KDER.application(12))
    }

    @Test func truncatedReplies() throws {
        try expectMalformed(.raw([0, 0, 0, 100, 0x7e, 0x03, 0x02]), "closed the connection after 3 of a reply of 100 bytes")
        try expectMalformed(.raw([0, 0]), "closed the connection after 2 of the reply length")
        try expectMalformed(.raw([]), "closed the connection after 0 of the reply length")
        try expectMalformed(.refuse, "")
        // A complete frame holding a truncated DER element.
        try expectMalformed(.reply(Array(try Self.krbError().prefix(20))), "not DER")
    }

    @Test func garbage() throws {
        try expectMalformed(.reply(Array("HTTP/1.1 400 Bad Request\r\n\r\n".utf8)), "not DER")
        try expectMalformed(.reply((0..<64).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }), "")
        try expectMalformed(.reply([0x30, 0x00]), "not a Kerberos message")
        try expectMalformed(.reply([0x6a, 0x02, 0x30, 0x00]), "unexpected message [APPLICATION 10]")
        try expectMalformed(.raw([0xff, 0xff, 0xff, 0xff]), "reserved high bit")
        try expectMalformed(.raw([0x00, 0x7f, 0xff, 0xff]), "announced a reply of 8388607 bytes")
    }

    @Test func garbledKRBErrors() throws {
        try expectMalformed(.reply(try Self.krbError(drop: [6])), "field [6] missing")
        try expectMalformed(.reply(try Self.krbError(drop: [0])), "field [0] missing")
        try expectMalformed(.reply(try Self.krbError(codeAsString: true)), "error-code")
        var wrongVersion = try Self.krbError()
        if let i = wrongVersion.firstIndex(of: 0x05) { wrongVersion[i] = 0x04 }  // pvno 5 -> 4
        try expectMalformed(.reply(wrongVersion), "wrong pvno")
        // An element out of order ([9] before [6]) is refused too.
        let swapped = try KDER.encode { s in
            try s.appendConstructedNode(identifier: KDER.application(30)) { s in
                try s.appendConstructedNode(identifier: .sequence) { s in
                    try KDER.int(&s, 0, 5); try KDER.int(&s, 1, 30); KDER.time(&s, 4, Date()); try KDER.int(&s, 5, 0)
                    KDER.string(&s, 9, "CONTOSO.TEST"); try KDER.int(&s, 6, 20)
                }
            }
        }
        try expectMalformed(.reply(swapped), "out of order")
    }

    /// A TGS-REP whose enc-part was not made with the session key.
    @Test func aTGSREPThatDoesNotDecrypt() throws {
        let tgt = try Self.tgt()
        let ticket = try Ticket(der: try KDER.parse(tgt.ticket))
        let rep = try KDCReply(messageType: 13, padata: [], crealm: "CONTOSO.TEST", cname: tgt.client, ticket: ticket, ticketDER: tgt.ticket,
                               encPart: EncryptedData(etype: 18, kvno: nil, cipher: [UInt8](repeating: 0x41, count: 80))).der()
        try expectMalformed(.reply(rep), "does not decrypt with the session key")
    }

    @Test func silenceTimesOut() throws {
        let (result, elapsed) = try exchange(.silent(.milliseconds(1500)), timeout: .milliseconds(700))
        guard case .failure(.timedOut(let m)) = result else { Issue.record("expected a timeout, got \(result)"); return }
        #expect(m.contains("waiting for the reply length from 127.0.0.88"))
        #expect(elapsed >= .milliseconds(650) && elapsed < .seconds(2))
    }

    @Test func nobodyListening() throws {
        // Bind a port, then close it: nothing listens there any more.
        let kdc = try FakeKDC(.refuse)
        let port = kdc.port
        _ = try? TicketExchange(kdc: kdc.host, port: port, timeout: .seconds(1)).exchange(try Self.tgt(), for: .krbtgt(realm: "CONTOSO.TEST"))
        kdc.finish()
        #expect {
            try TicketExchange(kdc: "127.0.0.88", port: port, timeout: .seconds(2)).exchange(try Self.tgt(), for: .krbtgt(realm: "CONTOSO.TEST"))
        } throws: { error in
            guard case TicketsError.unreachable(let m) = error else { return false }
            return m.contains("Connection refused")
        }
        #expect(throws: TicketsError.invalidArgument("the KDC address must be a numeric IP address, not dc1.contoso.test")) {
            try TicketExchange(kdc: "dc1.contoso.test")
        }
    }
}
}
