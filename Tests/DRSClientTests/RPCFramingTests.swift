import Testing
@testable import DRSClient
import Basics

/// Request and response fragments at PKT_PRIVACY, checked by a server side written here from
/// MS-RPCE 2.2.2.11 (header, stub, auth padding, sec_trailer, signature) with the server's
/// half of the NTLM session.
@Suite struct RPCFramingTests {
    static let key = (0..<16).map { UInt8(0x5a ^ $0) }
    let client = NTLMSecurity(exportedSessionKey: RPCFramingTests.key, isClient: true)
    let server = NTLMSecurity(exportedSessionKey: RPCFramingTests.key, isClient: false)

    static func stub(_ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) } }

    /// What a server does with one sealed request fragment; returns its stub bytes.
    func serverReads(_ pdu: [UInt8], callID: UInt32, opnum: UInt16, first: Bool, last: Bool) throws -> [UInt8] {
        #expect(Array(pdu[0..<3]) == [5, 0, 0] && pdu[4] == 0x10)
        #expect(pdu[3] == (first ? 1 : 0) | (last ? 2 : 0))
        #expect(Int(pdu.le16(at: 8)) == pdu.count && pdu.le16(at: 10) == 16 && pdu.le32(at: 12) == callID)
        #expect(pdu.le16(at: 22) == opnum)
        let trailer = pdu.count - 16 - 8
        #expect(pdu[trailer] == 10 && pdu[trailer + 1] == 6 && pdu.le32(at: trailer + 4) == RPCConnection.authContextID)
        #expect((trailer - 24) % 16 == 0)  // stub + padding end on a 16-byte boundary
        var signed = Array(pdu.prefix(pdu.count - 16))
        try server.unseal(&signed, decrypt: 24..<trailer, signature: Array(pdu.suffix(16)))
        return Array(signed[24..<(trailer - Int(pdu[trailer + 2]))])
    }

    /// What a server sends: response fragments of at most `size` stub bytes, each sealed on its own.
    func serverWrites(_ stub: [UInt8], callID: UInt32, size: Int) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var offset = 0
        while offset < stub.count || out.isEmpty {
            let chunk = Array(stub[offset..<min(stub.count, offset + size)])
            let flags: UInt8 = (offset == 0 ? 1 : 0) | (offset + chunk.count >= stub.count ? 2 : 0)
            let pad = (16 - chunk.count % 16) % 16
            var w = ByteWriter()
            w.append([5, 0, 2, flags, 0x10, 0, 0, 0]); w.u16(0); w.u16(16); w.u32(callID)
            w.u32(UInt32(stub.count - offset)); w.u16(0); w.u8(0); w.u8(0)
            w.append(chunk); w.zeros(pad)
            w.append([10, 6, UInt8(pad), 0]); w.u32(RPCConnection.authContextID)
            w.set16(UInt16(w.bytes.count + 16), at: 8)
            var bytes = w.bytes
            let signature = server.seal(&bytes, encrypt: 24..<(24 + chunk.count + pad))
            out.append(bytes + signature)
            offset += chunk.count
        }
        return out
    }

    @Test(arguments: [0, 1, 15, 16, 1000, 1384, 1385, 5000])
    func sealedRequestsAreFragmentedAndEachFragmentVerifies(_ length: Int) throws {
        let stub = Self.stub(length)
        let fragments = try RPCFraming(security: client, maxTransmit: 1432).requestFragments(opnum: 3, stub: stub, callID: 7)
        #expect(fragments.allSatisfy { $0.count <= 1432 })
        var read: [UInt8] = []
        for (i, f) in fragments.enumerated() {
            #expect(Int(f.le32(at: 16)) == stub.count - read.count)  // alloc_hint
            read += try serverReads(f, callID: 7, opnum: 3, first: i == 0, last: i == fragments.count - 1)
        }
        #expect(read == stub)
        #expect(fragments.count == max(1, (length + 1359) / 1360))  // 1432 less header, trailer, signature and padding: 1360
    }

    @Test func sealedResponsesReassemble() throws {
        let stub = Self.stub(4000)
        let framing = RPCFraming(security: client, maxTransmit: 1432)
        var read: [UInt8] = []
        for f in serverWrites(stub, callID: 9, size: 1400) { read += try framing.responseStub(f) }
        #expect(read == stub)
    }

    /// The signature covers the header too, and sequence numbers stop replays.
    @Test func aTamperedOrReplayedResponseFragmentIsRefused() throws {
        let stub = Self.stub(100)
        for position in [3, 12, 20, 23, 30, 24 + 100 + 12 + 2] {
            let fresh = RPCFramingTests()  // new sessions, sequence numbers from 0
            var f = fresh.serverWrites(stub, callID: 1, size: 4000)[0]
            f[position] ^= 0x01
            #expect(throws: RPCError.self) { _ = try RPCFraming(security: fresh.client, maxTransmit: 1432).responseStub(f) }
        }
        let f = serverWrites(stub, callID: 1, size: 4000)[0]
        let framing = RPCFraming(security: client, maxTransmit: 1432)
        #expect(try framing.responseStub(f) == stub)
        #expect(throws: RPCError.self) { _ = try framing.responseStub(f) }
    }

    @Test func malformedTrailersAreRefused() {
        let framing = RPCFraming(security: client, maxTransmit: 1432)
        var f = serverWrites(Self.stub(40), callID: 1, size: 4000)[0]
        f[10] = 8  // auth_length not a signature
        #expect(throws: RPCError.self) { _ = try framing.responseStub(f) }
        var g = serverWrites(Self.stub(40), callID: 1, size: 4000)[0]
        g[g.count - 24 + 2] = 200  // padding longer than the stub
        #expect(throws: RPCError.self) { _ = try framing.responseStub(g) }
        #expect(throws: RPCError.self) { _ = try framing.responseStub([5, 0, 2, 3]) }
    }

    @Test func unauthenticatedPDUs() throws {
        let framing = RPCFraming(security: nil, maxTransmit: 1432)
        let f = try framing.requestFragments(opnum: 3, stub: [1, 2, 3], callID: 2)
        #expect(f.count == 1 && f[0].hex == "05000003" + "10000000" + "1b00" + "0000" + "02000000" + "03000000" + "0000" + "0300" + "010203")
        var response = [5, 0, 2, 3, 0x10, 0, 0, 0, 27, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0] as [UInt8]
        response += [9, 8, 7]
        #expect(try framing.responseStub(response) == [9, 8, 7])
        response[10] = 16
        #expect(throws: RPCError.self) { _ = try framing.responseStub(response) }
    }

    @Test func bindCarriesTheNTLMTokenInItsTrailer() {
        let token = Array("NTLMSSP".utf8) + [0, 1, 0, 0, 0]
        let pdu = RPCFraming.pdu(.bind, flags: 3, callID: 1, body: [UInt8](repeating: 0, count: 72), auth: token)
        #expect(Int(pdu.le16(at: 8)) == pdu.count && Int(pdu.le16(at: 10)) == token.count)
        #expect(Array(pdu[88..<96]) == [10, 6, 0, 0, 1, 0, 1, 0] && Array(pdu[96...]) == token)
    }
}
