import COpenSSL
import Foundation

/// A P-256 key pair for ECDH.
public final class P256KeyPair: @unchecked Sendable {
    fileprivate let key: OpaquePointer

    public init() throws {
        guard let k = copenssl_p256_generate() else { throw OpenSSLError.last("P-256 key generation") }
        key = k
    }

    /// From a PEM private key (as written by `privateKeyPEM`).
    public init(privateKeyPEM pem: [UInt8]) throws {
        guard let k = readPEM(pem, { PEM_read_bio_PrivateKey($0, nil, nil, nil) }), EVP_PKEY_get_base_id(k) == EVP_PKEY_EC else { throw OpenSSLError.last("not a PEM EC private key") }
        key = k
    }

    deinit { EVP_PKEY_free(key) }

    /// SEC1 uncompressed point, 65 bytes.
    public var publicKey: [UInt8] {
        var pointer: UnsafeMutablePointer<UInt8>?
        let length = EVP_PKEY_get1_encoded_public_key(key, &pointer)
        guard length > 0, let pointer else { return [] }
        defer { CRYPTO_free(pointer, #fileID, #line) }
        return Array(UnsafeBufferPointer(start: pointer, count: length))
    }

    public var privateKeyPEM: [UInt8] {
        guard let bio = BIO_new(BIO_s_mem()) else { return [] }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PrivateKey(bio, key, nil, nil, 0, nil, nil) == 1 else { return [] }
        var out = [UInt8](repeating: 0, count: 4096)
        let n = BIO_read(bio, &out, Int32(out.count))
        return n > 0 ? Array(out.prefix(Int(n))) : []
    }

    /// The ECDH shared secret with a peer's SEC1 public key.
    public func sharedSecret(with peerPublicKey: [UInt8]) throws -> [UInt8] {
        guard let peer = peerPublicKey.withUnsafeBufferPointer({ copenssl_p256_public($0.baseAddress, $0.count) }) else {
            throw OpenSSLError.last("not a P-256 public key")
        }
        defer { EVP_PKEY_free(peer) }
        guard let ctx = EVP_PKEY_CTX_new(key, nil) else { throw OpenSSLError.last("EVP_PKEY_CTX_new") }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_derive_init(ctx) == 1, EVP_PKEY_derive_set_peer(ctx, peer) == 1 else { throw OpenSSLError.last("ECDH") }
        var length = 0
        guard EVP_PKEY_derive(ctx, nil, &length) == 1 else { throw OpenSSLError.last("ECDH") }
        var secret = [UInt8](repeating: 0, count: length)
        guard EVP_PKEY_derive(ctx, &secret, &length) == 1 else { throw OpenSSLError.last("ECDH") }
        return Array(secret.prefix(length))
    }
}

public enum HKDF {
    /// RFC 5869 HKDF with SHA-256.
    public static func sha256(ikm: [UInt8], salt: [UInt8], info: [UInt8], length: Int) throws -> [UInt8] {
        guard let ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nil) else { throw OpenSSLError.last("HKDF") }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_derive_init(ctx) == 1, EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) == 1,
              EVP_PKEY_CTX_set1_hkdf_salt(ctx, salt, Int32(salt.count)) == 1,
              EVP_PKEY_CTX_set1_hkdf_key(ctx, ikm, Int32(ikm.count)) == 1,
              EVP_PKEY_CTX_add1_hkdf_info(ctx, info, Int32(info.count)) == 1
        else { throw OpenSSLError.last("HKDF") }
        var out = [UInt8](repeating: 0, count: length)
        var n = length
        guard EVP_PKEY_derive(ctx, &out, &n) == 1, n == length else { throw OpenSSLError.last("HKDF") }
        return out
    }
}

public enum AESGCM {
    public struct Sealed: Sendable, Equatable {
        public var nonce: [UInt8]
        public var ciphertext: [UInt8]
        public var tag: [UInt8]
        public init(nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8]) {
            self.nonce = nonce
            self.ciphertext = ciphertext
            self.tag = tag
        }
    }

    public static func randomBytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        precondition(RAND_bytes(&out, Int32(count)) == 1, "RAND_bytes failed")
        return out
    }

    /// AES-256-GCM with a fresh random 96-bit nonce.
    public static func seal(_ plaintext: [UInt8], key: [UInt8], aad: [UInt8]) throws -> Sealed {
        precondition(key.count == 32)
        let nonce = randomBytes(12)
        guard let ctx = EVP_CIPHER_CTX_new() else { throw OpenSSLError.last("AES-GCM") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var length: Int32 = 0
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + 16)
        var tag = [UInt8](repeating: 0, count: 16)
        guard EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nil, nil, nil) == 1,
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, nil) == 1,
              EVP_EncryptInit_ex(ctx, nil, nil, key, nonce) == 1,
              aad.isEmpty || EVP_EncryptUpdate(ctx, nil, &length, aad, Int32(aad.count)) == 1,
              EVP_EncryptUpdate(ctx, &ciphertext, &length, plaintext, Int32(plaintext.count)) == 1
        else { throw OpenSSLError.last("AES-GCM seal") }
        var total = Int(length)
        let finished = ciphertext.withUnsafeMutableBufferPointer { EVP_EncryptFinal_ex(ctx, $0.baseAddress! + total, &length) }
        guard finished == 1, EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, &tag) == 1 else { throw OpenSSLError.last("AES-GCM seal") }
        total += Int(length)
        return Sealed(nonce: nonce, ciphertext: Array(ciphertext.prefix(total)), tag: tag)
    }

    /// Decrypts and authenticates; throws if anything (ciphertext, tag, nonce, AAD, key) is wrong.
    public static func open(_ sealed: Sealed, key: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        guard key.count == 32, sealed.nonce.count == 12, sealed.tag.count == 16 else { throw OpenSSLError.failed("AES-GCM: bad sizes") }
        guard let ctx = EVP_CIPHER_CTX_new() else { throw OpenSSLError.last("AES-GCM") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var length: Int32 = 0
        var plaintext = [UInt8](repeating: 0, count: sealed.ciphertext.count + 16)
        var tag = sealed.tag
        guard EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nil, nil, nil) == 1,
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, nil) == 1,
              EVP_DecryptInit_ex(ctx, nil, nil, key, sealed.nonce) == 1,
              aad.isEmpty || EVP_DecryptUpdate(ctx, nil, &length, aad, Int32(aad.count)) == 1,
              EVP_DecryptUpdate(ctx, &plaintext, &length, sealed.ciphertext, Int32(sealed.ciphertext.count)) == 1,
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, &tag) == 1
        else { throw OpenSSLError.failed("AES-GCM: decryption failed") }
        var total = Int(length)
        let finished = plaintext.withUnsafeMutableBufferPointer { EVP_DecryptFinal_ex(ctx, $0.baseAddress! + total, &length) }
        guard finished == 1 else {
            for i in plaintext.indices { plaintext[i] = 0 }
            throw OpenSSLError.failed("AES-GCM: authentication failed (wrong key, context or tampered data)")
        }
        total += Int(length)
        return Array(plaintext.prefix(total))
    }
}

public enum HMAC256 {
    public static func mac(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 32
        _ = HMAC(EVP_sha256(), key, Int32(key.count), data, data.count, &out, &length)
        return out
    }
}
