import COpenSSL
import Foundation

/// Small, safe wrappers over libcrypto used by the client and the reference server. No C type
/// appears in the public API.
public enum OpenSSLError: Error, CustomStringConvertible, Sendable {
    case failed(String)

    public var description: String {
        switch self { case let .failed(what): return what }
    }

    static func last(_ what: String) -> OpenSSLError {
        let code = ERR_get_error()
        var buffer = [CChar](repeating: 0, count: 256)
        if code != 0 { ERR_error_string_n(code, &buffer, buffer.count) }
        return .failed(code != 0 ? "\(what): \(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))" : what)
    }
}

/// Runs a PEM reader (PEM_read_bio_*) over bytes held in a memory BIO.
func readPEM(_ pem: [UInt8], _ reader: (OpaquePointer?) -> OpaquePointer?) -> OpaquePointer? {
    pem.withUnsafeBytes { raw in
        let bio = copenssl_bio_from(raw.baseAddress, Int32(raw.count))
        defer { BIO_free(bio) }
        return reader(bio)
    }
}

public enum Digest {
    public static func sha256(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 32
        _ = data.withUnsafeBufferPointer { d in EVP_Digest(d.baseAddress, d.count, &out, &length, EVP_sha256(), nil) }
        return out
    }
}

public enum Base64URL {
    public static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    public static func decode<S: StringProtocol>(_ string: S) -> [UInt8]? {
        var s = string.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map(Array.init)
    }
}

/// An X.509 certificate read from PEM.
public final class Certificate: @unchecked Sendable {
    private let x509: OpaquePointer

    public init(pem: [UInt8]) throws {
        guard let cert = readPEM(pem, { PEM_read_bio_X509($0, nil, nil, nil) }) else { throw OpenSSLError.last("not a PEM certificate") }
        x509 = cert
    }

    deinit { X509_free(x509) }

    public var der: [UInt8] {
        var pointer: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509(x509, &pointer)
        guard length > 0, let pointer else { return [] }
        defer { CRYPTO_free(pointer, #fileID, #line) }
        return Array(UnsafeBufferPointer(start: pointer, count: Int(length)))
    }

    /// base64url(SHA-256(DER)): the JWS `x5t#S256` header.
    public var thumbprintS256: String { Base64URL.encode(Digest.sha256(der)) }

    /// Verifies an RSASSA-PKCS1-v1_5 SHA-256 signature (RS256) with the certificate's public key.
    public func verifyRS256(signature: [UInt8], over data: [UInt8]) -> Bool {
        guard let key = X509_get_pubkey(x509) else { return false }
        defer { EVP_PKEY_free(key) }
        guard EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA, let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestVerifyInit(ctx, nil, EVP_sha256(), nil, key) == 1 else { return false }
        return EVP_DigestVerify(ctx, signature, signature.count, data, data.count) == 1
    }
}

/// A private key read from PEM (unencrypted PKCS#8 or traditional).
public final class PrivateKey: @unchecked Sendable {
    private let key: OpaquePointer

    public init(pem: [UInt8]) throws {
        guard let key = readPEM(pem, { PEM_read_bio_PrivateKey($0, nil, nil, nil) }) else { throw OpenSSLError.last("not an unencrypted PEM private key") }
        self.key = key
    }

    deinit { EVP_PKEY_free(key) }

    public var isRSA: Bool { EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA }

    /// RSASSA-PKCS1-v1_5 with SHA-256 (JWS RS256).
    public func signRS256(_ data: [UInt8]) throws -> [UInt8] {
        guard isRSA else { throw OpenSSLError.failed("the key is not an RSA key (RS256 needs RSA)") }
        guard let ctx = EVP_MD_CTX_new() else { throw OpenSSLError.last("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestSignInit(ctx, nil, EVP_sha256(), nil, key) == 1 else { throw OpenSSLError.last("EVP_DigestSignInit") }
        var length = 0
        guard EVP_DigestSign(ctx, nil, &length, data, data.count) == 1 else { throw OpenSSLError.last("EVP_DigestSign") }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(ctx, &signature, &length, data, data.count) == 1 else { throw OpenSSLError.last("EVP_DigestSign") }
        return Array(signature.prefix(length))
    }
}

/// Process-wide OpenSSL set-up.
public enum OpenSSLProcess {
    /// Keeps libcrypto from registering its atexit cleanup. URLSession's libcurl uses the same
    /// libcrypto, and Swift tears curl's multi handle down while the process exits; when OpenSSL's
    /// atexit cleanup has run first, that teardown can crash (swift-corelibs-foundation#5469:
    /// an intermittent SIGSEGV at exit). Call first thing in main, before anything uses OpenSSL.
    public static func disableExitCleanup() {
        _ = copenssl_init_without_atexit()
    }
}
