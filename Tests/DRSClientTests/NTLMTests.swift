import OpenSSLSupport
import Basics
import Testing
@testable import DRSClient

/// MS-NLMP 4.2.4: NTLMv2 with User / Domain / Password, server challenge 0123456789abcdef,
/// client challenge aa..., time 0, random session key 55..., client "COMPUTER", server "Server".
@Suite struct NTLMTests {
    static let challengeMessage = h("""
        4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef00000000000000002400240044000000
        060070170000000f53006500720076006500720002000c0044006f006d00610069006e0001000c005300650072007600
        6500720000000000
        """)
    static let authenticateMessage = h("""
        4e544c4d535350000300000018001800 6c00000054005400840000000c000c00 48000000080008005400000010001000
        5c00000010001000d8000000358288e2 0501280a0000000f44006f006d006100 69006e00550073006500720043004f00
        4d005000550054004500520086c35097 ac9cec102554764a57cccc19aaaaaaaa aaaaaaaa68cd0ab851e51c96aabc927b
        ebef6a1c010100000000000000000000 00000000aaaaaaaaaaaaaaaa00000000 02000c0044006f006d00610069006e00
        01000c00530065007200760065007200 0000000000000000c5dad2544fc97990 94ce1ce90bc9d03e
        """)
    static let targetInfo = h("02000c0044006f006d00610069006e0001000c0053006500720076006500720000000000")
    static let sessionKey = [UInt8](repeating: 0x55, count: 16)
    static let plaintext = UTF16LE.encode("Plaintext")

    let client = NTLMClient(user: "User", domain: "Domain", password: Secret("Password"), workstation: "COMPUTER")

    @Test func ntowfv2() {
        #expect(NTLM.ntowfv2(password: Secret("Password"), user: "User", domain: "Domain").hex == "0c868a403bfd7a93a3001ef22ef02e3f")
        // The user name is case-insensitive, the domain is not.
        #expect(NTLM.ntowfv2(password: Secret("Password"), user: "user", domain: "Domain").hex == "0c868a403bfd7a93a3001ef22ef02e3f")
        #expect(NTLM.ntowfv2(password: Secret("Password"), user: "User", domain: "DOMAIN").hex != "0c868a403bfd7a93a3001ef22ef02e3f")
    }

    @Test func responsesAndSessionBaseKey() {
        let r = NTLM.v2Responses(responseKeyNT: h("0c868a403bfd7a93a3001ef22ef02e3f"), serverChallenge: h("0123456789abcdef"),
                                 clientChallenge: [UInt8](repeating: 0xaa, count: 8), time: 0, targetInfo: Self.targetInfo, serverSentTimestamp: false)
        #expect(r.lmChallengeResponse.hex == "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa")
        #expect(r.ntProofStr.hex == "68cd0ab851e51c96aabc927bebef6a1c")
        #expect(r.sessionBaseKey.hex == "8de40ccadbc14a82f15cb0ad0de95ca3")
        #expect(r.ntChallengeResponse.hex == "68cd0ab851e51c96aabc927bebef6a1c" + "01010000000000000000000000000000aaaaaaaaaaaaaaaa00000000" + Self.targetInfo.hex + "00000000")
        #expect(RC4.crypt(key: r.sessionBaseKey, Self.sessionKey).hex == "c5dad2544fc9799094ce1ce90bc9d03e")
        // With a server timestamp the LM response is zeros (MS-NLMP 3.1.5.1.2).
        let t = NTLM.v2Responses(responseKeyNT: h("0c868a403bfd7a93a3001ef22ef02e3f"), serverChallenge: h("0123456789abcdef"),
                                 clientChallenge: [UInt8](repeating: 0xaa, count: 8), time: 0, targetInfo: Self.targetInfo, serverSentTimestamp: true)
        #expect(t.lmChallengeResponse == [UInt8](repeating: 0, count: 24))
    }

    @Test func parsesTheChallengeMessage() throws {
        let c = try NTLMChallenge(parsing: Self.challengeMessage)
        #expect(c.flags.rawValue == 0xe28a_8233)
        #expect(c.serverChallenge.hex == "0123456789abcdef")
        #expect(c.targetInfo == Self.targetInfo)
        #expect(c.timestamp == nil)
    }

    @Test func buildsTheSpecificationsAuthenticateMessageByteForByte() throws {
        let challenge = try NTLMChallenge(parsing: Self.challengeMessage)
        let (message, _) = client.authenticate(challenge: challenge, flags: NTLMFlags(rawValue: 0xe288_8235),
                                               clientChallenge: [UInt8](repeating: 0xaa, count: 8), exportedSessionKey: Self.sessionKey,
                                               time: 0, version: h("0501280a0000000f"), integrity: nil)
        #expect(message.hex == Self.authenticateMessage.hex)
    }

    @Test func signingAndSealingKeys() {
        #expect(MD5.digest(Self.sessionKey + NTLMSecurity.clientSign).hex == "4788dc861b4782f35d43fd98fe1a2d39")
        #expect(MD5.digest(Self.sessionKey + NTLMSecurity.clientSeal).hex == "59f600973cc4960a25480a7c196e4c58")
    }

    /// MS-NLMP 4.2.4.4: the client seals "Plaintext" with sequence number 0.
    @Test func sealsTheSpecificationsMessage() {
        let security = NTLMSecurity(exportedSessionKey: Self.sessionKey, isClient: true)
        var message = Self.plaintext
        let signature = security.seal(&message, encrypt: 0..<message.count)
        #expect(message.hex == "54e50165bf1936dc996020c1811b0f06fb5f")
        #expect(signature.hex == "010000007fb38ec5c55d497600000000")
        #expect(security.sendSequence == 1)
    }

    /// The same message sealed by the server (server-to-client keys) unseals on the client.
    @Test func unsealsTheServersMessage() throws {
        let server = NTLMSecurity(exportedSessionKey: Self.sessionKey, isClient: false)
        var sealed = Self.plaintext
        let signature = server.seal(&sealed, encrypt: 0..<sealed.count)
        #expect(sealed.hex == "160871b730ba74e946c453d7465b54278dd0")
        #expect(signature.hex == "01000000b298b847ce7c580700000000")

        let client = NTLMSecurity(exportedSessionKey: Self.sessionKey, isClient: true)
        try client.unseal(&sealed, decrypt: 0..<sealed.count, signature: signature)
        #expect(sealed == Self.plaintext)
    }

    @Test func signsTheWholePDUButSealsOnlyTheStub() throws {
        let client = NTLMSecurity(exportedSessionKey: Self.sessionKey, isClient: true)
        let server = NTLMSecurity(exportedSessionKey: Self.sessionKey, isClient: false)
        for n in 0..<3 {
            var pdu = Array("HEADER".utf8) + [UInt8](repeating: UInt8(n), count: 32) + Array("TRAILER".utf8)
            let original = pdu
            let signature = client.seal(&pdu, encrypt: 6..<38)
            #expect(pdu.prefix(6) == original.prefix(6) && pdu.suffix(7) == original.suffix(7) && pdu != original)
            #expect(Array(signature[12..<16]) == [UInt8(n), 0, 0, 0])
            try server.unseal(&pdu, decrypt: 6..<38, signature: signature)
            #expect(pdu == original)
        }
    }

    @Test func aTamperedOrReplayedMessageFailsItsSignature() {
        let server = NTLMSecurity(exportedSessionKey: Self.sessionKey, isClient: false)
        var sealed = Self.plaintext
        let signature = server.seal(&sealed, encrypt: 0..<sealed.count)
        var flipped = sealed
        flipped[3] ^= 1
        #expect(throws: NTLMSignatureMismatch.self) {
            try NTLMSecurity(exportedSessionKey: Self.sessionKey, isClient: true).unseal(&flipped, decrypt: 0..<flipped.count, signature: signature)
        }
        // The same message again is out of sequence.
        let client = NTLMSecurity(exportedSessionKey: Self.sessionKey, isClient: true)
        var first = sealed, again = sealed
        #expect(throws: Never.self) { try client.unseal(&first, decrypt: 0..<first.count, signature: signature) }
        #expect(throws: NTLMSignatureMismatch.self) { try client.unseal(&again, decrypt: 0..<again.count, signature: signature) }
    }

    @Test func refusesAServerWithoutSessionSecurity() throws {
        var weak = Self.challengeMessage
        weak.replaceSubrange(20..<24, with: [0x01, 0x02, 0x00, 0x00])  // UNICODE | NTLM only
        #expect(throws: NTLMMessageError.self) { _ = try client.authenticate(challengeMessage: weak) }
    }

    @Test(arguments: [0, 8, 12, 31, 47])
    func refusesATruncatedChallenge(_ length: Int) {
        #expect(throws: NTLMMessageError.self) { _ = try NTLMChallenge(parsing: Array(Self.challengeMessage.prefix(length))) }
    }

    @Test func refusesTargetInfoOutsideTheMessage() {
        var lying = Self.challengeMessage
        lying[40] = 0xff; lying[41] = 0x7f  // target info length 32767
        #expect(throws: NTLMMessageError.self) { _ = try NTLMChallenge(parsing: lying) }
        var badPairs = Self.challengeMessage
        badPairs[0x46] = 0xff  // first AV pair claims 255 bytes
        #expect(throws: NTLMMessageError.self) { _ = try NTLMChallenge(parsing: badPairs) }
    }

    @Test func aTimestampInTheTargetInfoIsUsed() throws {
        var info = ByteWriter()
        info.u16(7); info.u16(8); info.u64(0x01d9_0000_0000_0000)
        info.u16(0); info.u16(0)
        var m = ByteWriter()
        m.append(Array("NTLMSSP".utf8) + [0]); m.u32(2); m.u16(0); m.u16(0); m.u32(48)
        m.u32(0xe28a_8235); m.append(h("0123456789abcdef")); m.zeros(8)
        m.u16(UInt16(info.bytes.count)); m.u16(UInt16(info.bytes.count)); m.u32(48)
        m.append(info.bytes)
        let c = try NTLMChallenge(parsing: m.bytes)
        #expect(c.timestamp == 0x01d9_0000_0000_0000)
        let (message, _) = try client.authenticate(challengeMessage: m.bytes)
        // The LM response (24 bytes at the offset in its field) is zeros; the NT response carries the server's time.
        var r = ByteReader(message, offset: 12)
        let lmLength = Int(try r.u16()); _ = try r.u16(); let lmOffset = Int(try r.u32())
        _ = try r.u16(); _ = try r.u16(); let ntOffset = Int(try r.u32())
        #expect(lmLength == 24 && message[lmOffset..<lmOffset + 24].allSatisfy { $0 == 0 })
        #expect(Array(message[ntOffset + 24..<ntOffset + 32]) == [0, 0, 0, 0, 0, 0, 0xd9, 0x01])
    }

    @Test func aUPNGoesWithAnEmptyDomain() {
        let upn = NTLMClient(user: "admin@contoso.corp.com", domain: "CONTOSO", password: Secret("x"))
        #expect(upn.user == "admin@contoso.corp.com" && upn.domain == "")
    }

    @Test func theNegotiateMessageAsksForSealingAndKeyExchange() {
        let m = NTLM.negotiateMessage()
        #expect(m.count == 32)
        let flags = NTLMFlags(rawValue: m.le32(at: 12))
        #expect(flags.isSuperset(of: NTLMFlags.required) && !flags.contains(.lmKey))
    }

    // MARK: MIC, MsvAvFlags and MsvAvTargetName (MS-NLMP 3.1.5.1.2, 2.2.2.1)

    /// The AV pairs of a message's NTLMv2 response (after its 28-byte fixed part), by id, in order.
    static func clientPairs(_ message: [UInt8]) throws -> [(UInt16, [UInt8])] {
        var r = ByteReader(message, offset: 20)
        let ntLength = Int(try r.u16()); _ = try r.u16(); let ntOffset = Int(try r.u32())
        let temp = Array(message[ntOffset + 16 + 28..<ntOffset + ntLength])
        var av = ByteReader(temp)
        var pairs: [(UInt16, [UInt8])] = []
        while av.remaining >= 4 {
            let id = try av.u16(), length = Int(try av.u16())
            pairs.append((id, try av.take(length)))
            if id == 0 { break }
        }
        return pairs
    }

    /// The 4.2.4 exchange with integrity on: the same inputs, so everything but the target info,
    /// the MIC field and what depends on them is the specification's.
    func micMessage(targetName: String? = "host/server.domain.com") throws -> (message: [UInt8], negotiate: [UInt8]) {
        let c = NTLMClient(user: "User", domain: "Domain", password: Secret("Password"), workstation: "COMPUTER", targetName: targetName)
        let negotiate = NTLM.negotiateMessage()
        let (message, _) = c.authenticate(challenge: try NTLMChallenge(parsing: Self.challengeMessage), flags: NTLMFlags(rawValue: 0xe288_8235),
                                          clientChallenge: [UInt8](repeating: 0xaa, count: 8), exportedSessionKey: Self.sessionKey,
                                          time: 0, version: h("0501280a0000000f"), integrity: (negotiate, Self.challengeMessage))
        return (message, negotiate)
    }

    @Test func theTargetInfoSentBackSaysMICPresentAndNamesTheServer() throws {
        let pairs = try Self.clientPairs(try micMessage().message)
        // The server's pairs first, unchanged and in order (MsvAvNbDomainName, MsvAvNbComputerName) ...
        #expect(pairs.map(\.0) == [2, 1, 6, 9, 0])
        #expect(pairs[0].1 == UTF16LE.encode("Domain") && pairs[1].1 == UTF16LE.encode("Server"))
        // ... then MsvAvFlags with the MIC bit, the SPN, MsvAvEOL.
        #expect(pairs[2].1 == [0x02, 0, 0, 0])
        #expect(pairs[3].1 == UTF16LE.encode("host/server.domain.com"))
        #expect(pairs[4].1.isEmpty)
        // Without a known SPN, no MsvAvTargetName, but still the flags.
        #expect(try Self.clientPairs(try micMessage(targetName: nil).message).map(\.0) == [2, 1, 6, 0])
    }

    @Test func theMICIsHMACMD5OfTheThreeMessagesWithTheMICZeroed() throws {
        let (message, negotiate) = try micMessage()
        // VERSION at 64 (as negotiated), the MIC at 72, the payload after it at 88.
        #expect(Array(message[64..<72]).hex == "0501280a0000000f")
        var r = ByteReader(message, offset: 28)
        _ = try r.u16(); _ = try r.u16()
        #expect(try r.u32() == 88)  // DomainName, the first field of the payload, right after the MIC
        var zeroed = message
        zeroed.replaceSubrange(72..<88, with: [UInt8](repeating: 0, count: 16))
        let mic = HMACMD5.mac(key: Self.sessionKey, negotiate + Self.challengeMessage + zeroed)
        #expect(Array(message[72..<88]) == mic)
        // The NTProofStr covers the new target info (recomputed from 4.2.4's ResponseKeyNT).
        let info = NTLM.clientTargetInfo(serverTargetInfo: Self.targetInfo, targetName: "host/server.domain.com")
        let responses = NTLM.v2Responses(responseKeyNT: h("0c868a403bfd7a93a3001ef22ef02e3f"), serverChallenge: h("0123456789abcdef"),
                                         clientChallenge: [UInt8](repeating: 0xaa, count: 8), time: 0, targetInfo: info, serverSentTimestamp: false)
        var n = ByteReader(message, offset: 20)
        let ntLength = Int(try n.u16()); _ = try n.u16(); let ntOffset = Int(try n.u32())
        #expect(Array(message[ntOffset..<ntOffset + ntLength]) == responses.ntChallengeResponse)
        // Any change to any of the three messages changes the MIC.
        var other = Self.challengeMessage
        other[24] ^= 1
        #expect(HMACMD5.mac(key: Self.sessionKey, negotiate + other + zeroed) != mic)
    }

    /// Without VERSION negotiated the VERSION field is still there (zeros), so the MIC stays at 72
    /// where servers look for it.
    @Test func withoutVersionTheMICIsStillAtOffset72() throws {
        let c = NTLMClient(user: "User", domain: "Domain", password: Secret("Password"))
        let challenge = try NTLMChallenge(parsing: Self.challengeMessage)
        let (message, _) = c.authenticate(challenge: challenge, flags: NTLMFlags(rawValue: 0xe088_8235),
                                          clientChallenge: [UInt8](repeating: 0xaa, count: 8), exportedSessionKey: Self.sessionKey,
                                          time: 0, integrity: (NTLM.negotiateMessage(), Self.challengeMessage))
        #expect(Array(message[64..<72]) == [UInt8](repeating: 0, count: 8))
        var zeroed = message
        zeroed.replaceSubrange(72..<88, with: [UInt8](repeating: 0, count: 16))
        #expect(Array(message[72..<88]) == HMACMD5.mac(key: Self.sessionKey, NTLM.negotiateMessage() + Self.challengeMessage + zeroed))
    }

    /// A server's own MsvAvFlags gets the MIC bit ORed in, in place; a server-sent target name is dropped.
    @Test func aServersFlagsAreKeptWithTheMICBitAdded() {
        var w = ByteWriter()
        w.u16(6); w.u16(4); w.u32(0x1)                       // MsvAvFlags: account authentication constrained
        w.u16(9); w.u16(4); w.append(UTF16LE.encode("xy"))   // a target name the client should not echo
        w.u16(7); w.u16(8); w.u64(1)                         // MsvAvTimestamp
        w.u16(0); w.u16(0)
        let info = NTLM.clientTargetInfo(serverTargetInfo: w.bytes, targetName: "host/dc")
        var e = ByteWriter()
        e.u16(6); e.u16(4); e.u32(0x3)
        e.u16(7); e.u16(8); e.u64(1)
        e.u16(9); e.u16(14); e.append(UTF16LE.encode("host/dc"))
        e.u16(0); e.u16(0)
        #expect(info == e.bytes)
    }

    /// The production path (random challenge and key) always sends the MIC.
    @Test func theProductionPathAlwaysSendsAMIC() throws {
        let c = NTLMClient(user: "User", domain: "Domain", password: Secret("Password"), targetName: "host/dc1.contoso.com")
        let (message, security) = try c.authenticate(challengeMessage: Self.challengeMessage)
        var zeroed = message
        zeroed.replaceSubrange(72..<88, with: [UInt8](repeating: 0, count: 16))
        #expect(Array(message[72..<88]) == HMACMD5.mac(key: security.exportedSessionKey, c.negotiate + Self.challengeMessage + zeroed))
        #expect(try Self.clientPairs(message).contains { $0.0 == 9 && $0.1 == UTF16LE.encode("host/dc1.contoso.com") })
    }
}
