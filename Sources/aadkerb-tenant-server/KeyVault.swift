import Foundation
import OpenSSLSupport
import Secrets
import TenantAPI

/// Keys at rest. A 32-byte master key lives in `<data>/master.key` (0600), outside the database;
/// every secret in the database (the tenants' P-256 private keys, the Kerberos keys) is sealed
/// with it (AES-256-GCM, the record's identity as additional data). A copy of the database alone
/// reveals no key. (A production service would hold the master key in an HSM or KMS.)
struct KeyVault: Sendable {
    let store: Store
    private let masterKey: [UInt8]

    init(dataDirectory: String, store: Store) throws {
        self.store = store
        let path = dataDirectory + "/master.key"
        if let existing = FileManager.default.contents(atPath: path) {
            guard existing.count == 32 else { throw Store.StoreError(description: "\(path) is not a 32-byte key") }
            masterKey = Array(existing)
        } else {
            let fresh = AESGCM.randomBytes(32)
            guard FileManager.default.createFile(atPath: path, contents: Data(fresh), attributes: [.posixPermissions: 0o600]) else {
                throw Store.StoreError(description: "cannot write \(path)")
            }
            masterKey = fresh
        }
    }

    func seal(_ plaintext: [UInt8], label: String) throws -> [UInt8] {
        let s = try AESGCM.seal(plaintext, key: masterKey, aad: Array(label.utf8))
        return s.nonce + s.tag + s.ciphertext
    }

    func open(_ blob: [UInt8], label: String) throws -> [UInt8] {
        guard blob.count >= 28 else { throw Store.StoreError(description: "sealed record too short") }
        return try AESGCM.open(.init(nonce: Array(blob[0..<12]), ciphertext: Array(blob[28...]), tag: Array(blob[12..<28])),
                               key: masterKey, aad: Array(label.utf8))
    }

    /// The tenant's key-encryption key pair, created on first use.
    func tenantKey(_ tenant: String) async throws -> P256KeyPair {
        let label = "tenant-key:\(tenant)"
        let sealed = try await store.setting(label) { try seal(try P256KeyPair().privateKeyPEM, label: label) }
        var pem = try open(sealed, label: label)
        defer { for i in pem.indices { pem[i] = 0 } }
        return try P256KeyPair(privateKeyPEM: pem)
    }

    static func keyLabel(tenant: String, domain: String, kvno: Int64) -> String { "kerberos-key:\(tenant)/\(domain)/\(kvno)" }
}
