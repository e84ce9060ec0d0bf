import OpenSSLSupport
import Basics
import Testing
@testable import DRSClient

/// supplementalCredentials built by hand from MS-SAMR 2.2.10.1 and 2.2.10.6, with known keys.
enum Blobs {
    static let aes256 = (0..<32).map { UInt8($0) }
    static let aes128 = (0..<16).map { UInt8(0xa0 + $0) }
    static let oldAES256 = (0..<32).map { UInt8(0xff - $0) }
    static let salt = "CONTOSO.CORP.COMkrbtgt_1234"

    /// KERB_STORED_CREDENTIAL_NEW, revision 4: two current keys, one old one, the salt last.
    static func newerKeys(salt: String = salt, revision: UInt16 = 4) -> [UInt8] {
        newerKeys([[(18, aes256), (17, aes128)], [], [(18, oldAES256)], []], salt: salt, revision: revision)
    }

    /// KERB_STORED_CREDENTIAL_NEW (MS-SAMR 2.2.10.4) with every group given: current, service
    /// (always empty from a DC), old, older; key data in order, after the salt as Samba puts it.
    static func newerKeys(_ groups: [[(type: UInt32, key: [UInt8])]], salt: String, revision: UInt16 = 4) -> [UInt8] {
        let saltBytes = UTF16LE.encode(salt)
        let all = groups.flatMap { $0 }
        let header = 24, entries = 24 * all.count
        var w = ByteWriter()
        w.u16(revision); w.u16(0)
        for g in groups { w.u16(UInt16(g.count)) }
        w.u16(UInt16(saltBytes.count)); w.u16(UInt16(saltBytes.count))
        w.u32(UInt32(header + entries))                    // salt offset
        w.u32(4096)
        var offset = header + entries + saltBytes.count
        for (type, key) in all {
            w.u16(0); w.u16(0); w.u32(0)
            w.u32(4096); w.u32(type); w.u32(UInt32(key.count)); w.u32(UInt32(offset))
            offset += key.count
        }
        w.append(saltBytes)
        for (_, key) in all { w.append(key) }
        return w.bytes
    }

    /// USER_PROPERTIES with a decoy property first and Kerberos-Newer-Keys second.
    static func userProperties(newer: [UInt8] = newerKeys(), name: String = "Primary:Kerberos-Newer-Keys") -> [UInt8] {
        userProperties([("Primary:Kerberos", [1, 2, 3]), (name, newer)])
    }

    /// USER_PROPERTIES (MS-SAMR 2.2.10.1) with the given properties, hex-encoded values.
    static func userProperties(_ properties: [(String, [UInt8])]) -> [UInt8] {
        var body = ByteWriter()
        body.u16(0x50); body.u16(UInt16(properties.count))
        for (n, v) in properties {
            let nameBytes = UTF16LE.encode(n), hex = Array(v.hex.uppercased().utf8)
            body.u16(UInt16(nameBytes.count)); body.u16(UInt16(hex.count)); body.u16(1)
            body.append(nameBytes); body.append(hex)
        }
        var w = ByteWriter()
        w.u32(0)
        w.u32(UInt32(96 + body.bytes.count))  // from Reserved4 to the last property, as Samba writes it
        w.u16(0); w.u16(0)
        for _ in 0..<48 { w.u16(0x20) }
        w.append(body.bytes)
        w.u8(0)
        return w.bytes
    }
}

extension Secret {
    var bytes: [UInt8] { withUnsafeBytes { Array($0) } }
}

@Suite struct SupplementalCredentialsTests {
    @Test func readsKerberosNewerKeys() throws {
        let properties = try SupplementalCredentials.properties(Blobs.userProperties())
        #expect(properties.map(\.name) == ["Primary:Kerberos", "Primary:Kerberos-Newer-Keys"])
        let keys = try SupplementalCredentials.kerberosNewerKeys(properties[1].value)
        #expect(keys.salt == Blobs.salt && keys.defaultIterationCount == 4096)
        #expect(keys.current.map(\.encryptionType) == [18, 17] && keys.previous.map(\.encryptionType) == [18] && keys.older.isEmpty)
        #expect(keys.current[0].key.bytes == Blobs.aes256 && keys.current[1].key.bytes == Blobs.aes128)
        #expect(keys.previous[0].key.bytes == Blobs.oldAES256 && keys.previous[0].iterationCount == 4096)
    }

    @Test func anAccountWithoutPasswordHasNoProperties() throws {
        var w = ByteWriter()
        w.u32(0); w.u32(0); w.zeros(100)
        #expect(try SupplementalCredentials.properties(w.bytes).isEmpty)
    }

    @Test func refusesOtherRevisionsAndOutOfRangeOffsets() {
        #expect(throws: SupplementalCredentials.ParseError.self) { _ = try SupplementalCredentials.kerberosNewerKeys(Blobs.newerKeys(revision: 3)) }
        var lying = Blobs.newerKeys()
        lying[24 + 20] = 0xf0  // first key's offset far past the end
        #expect(throws: SupplementalCredentials.ParseError.self) { _ = try SupplementalCredentials.kerberosNewerKeys(lying) }
        var badSignature = Blobs.userProperties()
        badSignature[108] = 0x51
        #expect(throws: SupplementalCredentials.ParseError.self) { _ = try SupplementalCredentials.properties(badSignature) }
        var notHex = Blobs.userProperties()
        notHex[notHex.count - 3] = UInt8(ascii: "g")
        #expect(throws: SupplementalCredentials.ParseError.self) { _ = try SupplementalCredentials.properties(notHex) }
    }

    @Test func everyTruncationThrows() {
        let blob = Blobs.userProperties()
        for n in 0..<(blob.count - 1) {
            #expect(throws: SupplementalCredentials.ParseError.self) { _ = try SupplementalCredentials.properties(Array(blob.prefix(n))) }
        }
        let newer = Blobs.newerKeys()
        for n in 0..<newer.count {
            #expect(throws: SupplementalCredentials.ParseError.self) { _ = try SupplementalCredentials.kerberosNewerKeys(Array(newer.prefix(n))) }
        }
    }

    @Test func encryptedPayloadRoundTripsAndATamperedOneFailsItsCRC() throws {
        let sessionKey = (0..<16).map { UInt8($0 * 7) }, salt = [UInt8](repeating: 0x42, count: 16)
        let value = Blobs.userProperties()
        let payload = SecretDecryption.encrypt(value, sessionKey: sessionKey, salt: salt)
        #expect(payload.count == value.count + 20 && Array(payload.prefix(16)) == salt)
        #expect(try SecretDecryption.decrypt(payload, sessionKey: sessionKey) == value)
        for position in [16, 20, 100, payload.count - 1] {
            var tampered = payload
            tampered[position] ^= 0x01
            #expect(throws: SecretDecryption.Failure.self) { _ = try SecretDecryption.decrypt(tampered, sessionKey: sessionKey) }
        }
        var wrongKey = sessionKey
        wrongKey[0] ^= 1
        #expect(throws: SecretDecryption.Failure.self) { _ = try SecretDecryption.decrypt(payload, sessionKey: wrongKey) }
        #expect(throws: SecretDecryption.Failure.self) { _ = try SecretDecryption.decrypt(Array(payload.prefix(19)), sessionKey: sessionKey) }
    }

    /// A known MS-DRSR example could not be found; this one is fixed by hand: CRC-32 of "abc" is
    /// 0x352441c2 and the RC4 key is MD5(session key || salt).
    @Test func decryptionUsesMD5OfSessionKeyAndSalt() throws {
        let sessionKey = [UInt8](repeating: 1, count: 16), salt = [UInt8](repeating: 2, count: 16)
        let key = MD5.digest(sessionKey + salt)
        let payload = salt + RC4.crypt(key: key, [0xc2, 0x41, 0x24, 0x35] + Array("abc".utf8))
        #expect(try SecretDecryption.decrypt(payload, sessionKey: sessionKey) == Array("abc".utf8))
    }
}
