import Foundation
import OpenSSLSupport
import Basics
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
        if let existing = try SecureFile.read(path) {
            guard existing.count == 32 else { throw Store.StoreError(description: "\(path) is not a 32-byte key") }
            masterKey = existing
        } else {
            let fresh = AESGCM.randomBytes(32)
            try SecureFile.create(path, fresh)
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
        defer { wipe(&pem) }
        return try P256KeyPair(privateKeyPEM: pem)
    }

    static func keyLabel(tenant: String, domain: String, kvno: Int64) -> String { "kerberos-key:\(tenant)/\(domain)/\(kvno)" }
}

/// Files the server keeps secrets in: created with O_CREAT|O_EXCL and mode 0600 in one step (no
/// window in which another user could open them), read through one O_NOFOLLOW descriptor whose
/// fstat must show a regular file of mode 0600 or stricter.
enum SecureFile {
    static func create(_ path: String, _ bytes: [UInt8]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Store.StoreError(description: "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard write(fd, bytes, bytes.count) == bytes.count, fsync(fd) == 0 else {
            throw Store.StoreError(description: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// nil when the file does not exist.
    static func read(_ path: String) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 && errno == ENOENT { return nil }
        guard fd >= 0 else { throw Store.StoreError(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        try checkMode(fd, path, allowed: 0o600)
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = Glibc.read(fd, &buffer, buffer.count)
            guard n >= 0 else { throw Store.StoreError(description: "cannot read \(path): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            out += buffer[0..<n]
        }
        return out
    }

    /// Refuses a file or directory that group or others may use (beyond `allowed`'s bits).
    static func checkMode(_ fd: Int32, _ path: String, allowed: mode_t) throws {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Store.StoreError(description: "cannot stat \(path)") }
        let mode = info.st_mode & 0o777
        guard mode & ~allowed == 0 else {
            throw Store.StoreError(description: String(format: "%@ has mode %03o; it holds secrets: chmod %03o it", path, mode, allowed))
        }
    }

    static func checkMode(_ path: String, allowed: mode_t) throws {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return }  // created later with the right mode
        defer { close(fd) }
        try checkMode(fd, path, allowed: allowed)
    }
}
