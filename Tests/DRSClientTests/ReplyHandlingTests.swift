import Basics
import Testing
@testable import DRSClient

/// From a decoded GetNCChanges reply to keys: status codes, the object, the attribute found through
/// the server's prefix table, decryption, decoding, and errors that name their step.
@Suite struct ReplyHandlingTests {
    static let sessionKey = (0..<16).map { UInt8(0x30 + $0) }
    static let dn = "CN=krbtgt_AzureAD,CN=Users,DC=contoso,DC=corp,DC=com"

    static func reply(_ edit: (inout ReplyBuilder) -> Void = { _ in }, payload: [UInt8]? = nil, version: UInt32 = 4) throws -> DRSUAPI.GetNCChangesReply {
        let encrypted = payload ?? SecretDecryption.encrypt(Blobs.userProperties(), sessionKey: sessionKey, salt: [UInt8](repeating: 9, count: 16))
        var b = ReplyBuilder()
        // The server numbers 1.2.840.113556.1.4 as 0x1234 here, not 9: the client must map, not assume.
        b.prefixes = [(0, h("5504")), (0x1234, h("2a864886f7140104"))]
        b.objects = [.init(dn: dn, attributes: [(0x1234_005a, [[0xee]]), (0x1234_007d, [encrypted])], versions: [version, version])]
        edit(&b)
        return try DRSUAPI.parseGetNCChangesReply(b.stub())
    }

    @Test func keysFromAReply() throws {
        let keys = try Session.keys(from: try Self.reply(), objectDN: Self.dn, sessionKey: Self.sessionKey)
        #expect(keys.salt == Blobs.salt && keys.keyVersion == 4)
        #expect(keys.current.map(\.encryptionType) == [18, 17] && keys.current[0].key.bytes == Blobs.aes256)
        #expect(keys.previous.count == 1 && keys.previous[0].key.bytes == Blobs.oldAES256)
        #expect("\(keys.current[0].key)" == "<redacted>")
    }

    @Test func theDNIsMatchedWithoutRegardToCase() throws {
        let keys = try Session.keys(from: try Self.reply(), objectDN: Self.dn.uppercased(), sessionKey: Self.sessionKey)
        #expect(keys.salt == Blobs.salt)
    }

    @Test func aWERRORIsNamed() throws {
        let e = try #require(throws: DRSError.self) {
            try Session.keys(from: try Self.reply { $0.status = 0x2105; $0.objects = [] }, objectDN: Self.dn, sessionKey: Self.sessionKey)
        }
        #expect(e.step == .getNCChanges && e.status == 0x2105 && e.statusName == "WERR_DS_DRA_ACCESS_DENIED")
        #expect(e.description == "DRS GetNCChanges failed: WERR_DS_DRA_ACCESS_DENIED (0x00002105): the DC refused to replicate \(Self.dn)")
    }

    @Test func aFailedExtendedOperationIsNamed() throws {
        let e = try #require(throws: DRSError.self) {
            try Session.keys(from: try Self.reply { $0.extendedResult = 6; $0.objects = [] }, objectDN: Self.dn, sessionKey: Self.sessionKey)
        }
        #expect(e.step == .getNCChanges && e.status == 6 && e.statusName == "EXOP_ERR_UNKNOWN_CALLER")
    }

    @Test func aReplyWithoutTheSecretSaysSo() throws {
        let e = try #require(throws: DRSError.self) {
            try Session.keys(from: try Self.reply { $0.objects[0].attributes.removeLast(); $0.objects[0].versions = [1] }, objectDN: Self.dn, sessionKey: Self.sessionKey)
        }
        #expect(e.step == .getNCChanges && e.detail.contains("no supplementalCredentials"))
        let other = try #require(throws: DRSError.self) {
            try Session.keys(from: try Self.reply { $0.objects.append($0.objects[0]) }, objectDN: "CN=someone else", sessionKey: Self.sessionKey)
        }
        #expect(other.step == .getNCChanges && other.detail.contains("2 objects"))
    }

    @Test func aTamperedSecretFailsTheCRCStep() throws {
        var payload = SecretDecryption.encrypt(Blobs.userProperties(), sessionKey: Self.sessionKey, salt: [UInt8](repeating: 9, count: 16))
        payload[40] ^= 0x80
        let e = try #require(throws: DRSError.self) {
            try Session.keys(from: try Self.reply(payload: payload), objectDN: Self.dn, sessionKey: Self.sessionKey)
        }
        #expect(e.step == .decrypt && e.detail.contains("CRC-32"))
        let wrongKey = try #require(throws: DRSError.self) {
            try Session.keys(from: try Self.reply(), objectDN: Self.dn, sessionKey: [UInt8](repeating: 0, count: 16))
        }
        #expect(wrongKey.step == .decrypt)
    }

    @Test func missingKerberosNewerKeysIsAParseError() throws {
        let value = Blobs.userProperties(name: "Primary:WDigest")
        let payload = SecretDecryption.encrypt(value, sessionKey: Self.sessionKey, salt: [UInt8](repeating: 9, count: 16))
        let e = try #require(throws: DRSError.self) {
            try Session.keys(from: try Self.reply(payload: payload), objectDN: Self.dn, sessionKey: Self.sessionKey)
        }
        #expect(e.step == .parse && e.detail.contains("Primary:WDigest"))
    }

    @Test func errorsNeverCarrySecretBytes() throws {
        let secretHex = Blobs.aes256.hex
        var payload = SecretDecryption.encrypt(Blobs.userProperties(newer: Blobs.newerKeys(revision: 3)), sessionKey: Self.sessionKey, salt: [UInt8](repeating: 9, count: 16))
        let e = try #require(throws: DRSError.self) {
            try Session.keys(from: try Self.reply(payload: payload), objectDN: Self.dn, sessionKey: Self.sessionKey)
        }
        #expect(!e.description.lowercased().contains(secretHex) && !e.description.contains(Self.sessionKey.hex))
        payload[30] ^= 1
        let crc = try #require(throws: DRSError.self) {
            try Session.keys(from: try Self.reply(payload: payload), objectDN: Self.dn, sessionKey: Self.sessionKey)
        }
        #expect(!crc.description.contains(Self.sessionKey.hex))
    }
}
