import Foundation
import OpenSSLSupport
import Basics
import TenantAPI
import Testing

@Suite struct EnvelopeTests {
    func hex(_ s: String) -> [UInt8] { Hex.bytes(s)! }

    @Test func hkdfMatchesRFC5869TestCase1() throws {
        let okm = try HKDF.sha256(ikm: Array(repeating: 0x0b, count: 22), salt: hex("000102030405060708090a0b0c"),
                                  info: hex("f0f1f2f3f4f5f6f7f8f9"), length: 42)
        #expect(okm == hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"))
    }

    @Test func aesGCMRoundTripsAndDetectsTampering() throws {
        let key = AESGCM.randomBytes(32)
        let sealed = try AESGCM.seal(Array("kerberos key".utf8), key: key, aad: Array("ctx".utf8))
        #expect(try AESGCM.open(sealed, key: key, aad: Array("ctx".utf8)) == Array("kerberos key".utf8))
        var flipped = sealed
        flipped.ciphertext[0] ^= 1
        #expect(throws: OpenSSLError.self) { try AESGCM.open(flipped, key: key, aad: Array("ctx".utf8)) }
        #expect(throws: OpenSSLError.self) { try AESGCM.open(sealed, key: key, aad: Array("other".utf8)) }
        #expect(throws: OpenSSLError.self) { try AESGCM.open(sealed, key: AESGCM.randomBytes(32), aad: Array("ctx".utf8)) }
    }

    @Test func ecdhAgreesBothWays() throws {
        let a = try P256KeyPair(), b = try P256KeyPair()
        #expect(a.publicKey.count == 65 && a.publicKey[0] == 4)
        #expect(try a.sharedSecret(with: b.publicKey) == b.sharedSecret(with: a.publicKey))
        #expect(throws: OpenSSLError.self) { try a.sharedSecret(with: Array(repeating: 4, count: 65)) }
        let reloaded = try P256KeyPair(privateKeyPEM: a.privateKeyPEM)
        #expect(reloaded.publicKey == a.publicKey)
    }

    @Test func theEnvelopeOpensOnlyForTheTenantKeyAndTheSameContext() throws {
        let tenant = try P256KeyPair()
        let key = Secret(bytes: AESGCM.randomBytes(32))
        let context = KeyEnvelope.context(tenant: "contoso", domain: "contoso.corp.com", kvno: 2, keyVersion: 4080, encryptionType: "aes256-cts-hmac-sha1-96")
        let envelope = try KeyEnvelope.seal(key, to: tenant.publicKey, context: context)
        let opened = try KeyEnvelope.open(envelope, with: tenant, context: context)
        #expect(KeyEnvelope.checkValue(opened) == KeyEnvelope.checkValue(key))
        #expect(!envelope.ciphertext.isEmpty && envelope.keyId == KeyEnvelope.keyID(tenant.publicKey))
        // another domain or slot: refused
        let other = KeyEnvelope.context(tenant: "contoso", domain: "fabrikam.com", kvno: 2, keyVersion: 4080, encryptionType: "aes256-cts-hmac-sha1-96")
        #expect(throws: KeyEnvelope.Failure.self) { try KeyEnvelope.open(envelope, with: tenant, context: other) }
        // another tenant key: refused by key id
        #expect(throws: KeyEnvelope.Failure.self) { try KeyEnvelope.open(envelope, with: try P256KeyPair(), context: context) }
    }

    @Test func checkValuesIdentifyWithoutRevealing() {
        let a = Secret(bytes: Array(repeating: 1, count: 32)), b = Secret(bytes: Array(repeating: 2, count: 32))
        #expect(KeyEnvelope.checkValue(a) == KeyEnvelope.checkValue(Secret(bytes: Array(repeating: 1, count: 32))))
        #expect(KeyEnvelope.checkValue(a) != KeyEnvelope.checkValue(b))
        #expect(KeyEnvelope.checkValue(a).count == 16)
    }
}
