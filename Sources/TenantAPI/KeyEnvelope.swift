import Foundation
import OpenSSLSupport
import Basics

/// Key material in transit: encrypted to the tenant's public key, so that the key never travels
/// in the clear inside TLS. The public key itself comes over the same TLS connection, so a
/// TLS-inspecting proxy could answer with its own: aadkerb pins the key's id on first use and
/// refuses a changed one (TenantKeyPins in the CLI; docs/security.md).
///
/// ECDH-ES on P-256 with an ephemeral key, HKDF-SHA256 (salt: ephemeral || tenant public key;
/// info: the context), AES-256-GCM with the context as additional data. The context binds the
/// ciphertext to tenant, domain, kvno, KeyVersion and encryption type: a sealed key cannot be
/// replayed into another domain or slot.
public struct EncryptedKey: Codable, Sendable, Equatable {
    public static let algorithm = "ECDH-ES-P256+HKDF-SHA256+A256GCM"
    /// Which tenant key it was sealed to: the first 16 hex digits of SHA-256(public key).
    public var keyId: String
    public var ephemeralPublicKey: String
    public var nonce: String
    public var ciphertext: String
    public var tag: String
}

/// A new key for a KerberosDomain, sent with a PUT (write-only: never returned).
public struct KeyUpload: Codable, Sendable, Equatable {
    public var kvno: Int64
    public var keyVersion: Int64
    public var encryptionType: String
    public var envelope: EncryptedKey

    public init(kvno: Int64, keyVersion: Int64, encryptionType: String = "aes256-cts-hmac-sha1-96", envelope: EncryptedKey) {
        self.kvno = kvno
        self.keyVersion = keyVersion
        self.encryptionType = encryptionType
        self.envelope = envelope
    }
}

/// `GET /v1/tenants/{tenant}/syncConfig`.
public struct SyncConfig: Codable, Sendable {
    public struct KeyEncryption: Codable, Sendable {
        public var algorithm: String
        /// base64 of the SEC1 uncompressed P-256 point.
        public var publicKey: String
        public var keyId: String
        public init(algorithm: String, publicKey: String, keyId: String) {
            self.algorithm = algorithm
            self.publicKey = publicKey
            self.keyId = keyId
        }
    }

    public var keyEncryption: KeyEncryption
    public init(keyEncryption: KeyEncryption) { self.keyEncryption = keyEncryption }
}

public enum KeyEnvelope {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public static func keyID(_ publicKey: [UInt8]) -> String {
        String(Hex.string(Digest.sha256(publicKey)).prefix(16))
    }

    public static func context(tenant: String, domain: String, kvno: Int64, keyVersion: Int64, encryptionType: String) -> [UInt8] {
        Array("aadkerb-key-upload-v1\n\(tenant)\n\(domain.lowercased())\n\(kvno)\n\(keyVersion)\n\(encryptionType)".utf8)
    }

    public static func seal(_ key: Secret, to tenantPublicKey: [UInt8], context: [UInt8]) throws -> EncryptedKey {
        let ephemeral = try P256KeyPair()
        var shared = try ephemeral.sharedSecret(with: tenantPublicKey)
        defer { wipe(&shared) }
        var kek = try HKDF.sha256(ikm: shared, salt: ephemeral.publicKey + tenantPublicKey, info: context, length: 32)
        defer { wipe(&kek) }
        let sealed = try key.withUnsafeBytes { try AESGCM.seal(Array($0), key: kek, aad: context) }
        return EncryptedKey(keyId: keyID(tenantPublicKey), ephemeralPublicKey: Data(ephemeral.publicKey).base64EncodedString(),
                            nonce: Data(sealed.nonce).base64EncodedString(), ciphertext: Data(sealed.ciphertext).base64EncodedString(),
                            tag: Data(sealed.tag).base64EncodedString())
    }

    /// The tenant side: opens with the tenant's private key; fails on any mismatch of context.
    public static func open(_ envelope: EncryptedKey, with tenantKey: P256KeyPair, context: [UInt8]) throws -> Secret {
        guard envelope.keyId == keyID(tenantKey.publicKey) else {
            throw Failure(description: "the key was sealed to another tenant key (\(envelope.keyId)); fetch syncConfig again")
        }
        guard let eph = Data(base64Encoded: envelope.ephemeralPublicKey), let nonce = Data(base64Encoded: envelope.nonce),
              let ciphertext = Data(base64Encoded: envelope.ciphertext), let tag = Data(base64Encoded: envelope.tag)
        else { throw Failure(description: "the envelope is not base64") }
        do {
            var shared = try tenantKey.sharedSecret(with: Array(eph))
            defer { wipe(&shared) }
            var kek = try HKDF.sha256(ikm: shared, salt: Array(eph) + tenantKey.publicKey, info: context, length: 32)
            defer { wipe(&kek) }
            return Secret(bytes: try AESGCM.open(.init(nonce: Array(nonce), ciphertext: Array(ciphertext), tag: Array(tag)), key: kek, aad: context))
        } catch {
            throw Failure(description: "the key envelope does not open: \(error)")
        }
    }

    /// Identifies a key without revealing it: the first 8 bytes of HMAC-SHA256(key, "aadkerb key check"), hex.
    public static func checkValue(_ key: Secret) -> String {
        Hex.string(key.withUnsafeBytes { HMAC256.mac(key: Array($0), Array("aadkerb key check".utf8)) }.prefix(8))
    }
}
