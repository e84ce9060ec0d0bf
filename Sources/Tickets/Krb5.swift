import CKrb5
import Basics

/// A failure inside MIT krb5: what was being done, the krb5 error code and its message.
struct Krb5Failure: Error, CustomStringConvertible {
    var operation: String
    var code: Int32
    var text: String
    var description: String { "\(operation): \(text) (krb5 error \(code))" }
}

/// One MIT krb5 library context, used by one call at a time (krb5 contexts are not thread-safe);
/// a secure context, so the environment (KRB5_CONFIG) plays no part. Only crypto and PAC calls.
final class Krb5 {
    static let aes256: Int32 = 18            // ENCTYPE_AES256_CTS_HMAC_SHA1_96
    static let hmacSHA1AES256: Int32 = 16    // CKSUMTYPE_HMAC_SHA1_96_AES256

    let context: krb5_context

    init() throws {
        var context: krb5_context?
        let code = ckrb5_init(&context)
        guard code == 0, let context else { throw Krb5Failure(operation: "krb5_init_secure_context", code: code, text: "cannot create a krb5 context") }
        self.context = context
    }

    deinit { krb5_free_context(context) }

    func check(_ code: krb5_error_code, _ operation: @autoclosure () -> String) throws {
        guard code != 0 else { return }
        var buffer = [CChar](repeating: 0, count: 512)
        buffer.withUnsafeMutableBufferPointer { ckrb5_error_text(context, code, $0.baseAddress, $0.count) }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw Krb5Failure(operation: operation(), code: code, text: text)
    }

    /// RFC 3961 encryption (krb5_c_encrypt) of `plaintext` under `key` (AES-256) with `usage`.
    func encrypt(_ plaintext: [UInt8], key: Secret, usage: Int32) throws -> [UInt8] {
        var capacity = 0
        try check(ckrb5_encrypt_length(context, Self.aes256, plaintext.count, &capacity), "krb5_c_encrypt_length")
        var out = [UInt8](repeating: 0, count: capacity)
        var length = 0
        let code = key.withUnsafeBytes { k in
            plaintext.withUnsafeBytes { p in
                out.withUnsafeMutableBytes { o in
                    ckrb5_encrypt(context, Self.aes256, k.baseAddress, k.count, krb5_keyusage(usage), p.baseAddress, p.count,
                                  o.baseAddress, o.count, &length)
                }
            }
        }
        try check(code, "encrypting (key usage \(usage))")
        return Array(out.prefix(length))
    }

    /// The inverse of `encrypt`; throws (KRB5KRB_AP_ERR_BAD_INTEGRITY) when the checksum fails.
    /// The plaintext comes back as a Secret: decrypted Kerberos parts hold keys.
    func decrypt(_ ciphertext: [UInt8], key: Secret, usage: Int32) throws -> Secret {
        var out = [UInt8](repeating: 0, count: ciphertext.count)
        defer { wipe(&out) }
        var length = 0
        let code = key.withUnsafeBytes { k in
            ciphertext.withUnsafeBytes { c in
                out.withUnsafeMutableBytes { o in
                    ckrb5_decrypt(context, Self.aes256, k.baseAddress, k.count, krb5_keyusage(usage), c.baseAddress, c.count,
                                  o.baseAddress, o.count, &length)
                }
            }
        }
        try check(code, "decrypting (key usage \(usage))")
        return Secret(bytes: Array(out.prefix(length)))
    }

    /// HMAC-SHA1-96-AES256 (checksum type 16) over `data` with `key` and `usage`.
    func checksum(_ data: [UInt8], key: Secret, usage: Int32) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        var length = 0
        let code = key.withUnsafeBytes { k in
            data.withUnsafeBytes { d in
                out.withUnsafeMutableBytes { o in
                    ckrb5_checksum(context, Self.hmacSHA1AES256, Self.aes256, k.baseAddress, k.count, krb5_keyusage(usage),
                                   d.baseAddress, d.count, o.baseAddress, o.count, &length)
                }
            }
        }
        try check(code, "computing a checksum (key usage \(usage))")
        return Array(out.prefix(length))
    }

    /// A fresh AES-256 key from krb5's PRNG (krb5_c_make_random_key).
    func randomKey() throws -> Secret {
        var out = [UInt8](repeating: 0, count: 64)
        defer { wipe(&out) }
        var length = 0
        try check(out.withUnsafeMutableBytes { ckrb5_random_key(context, Self.aes256, $0.baseAddress, $0.count, &length) }, "krb5_c_make_random_key")
        guard length == 32 else { throw Krb5Failure(operation: "krb5_c_make_random_key", code: 0, text: "key of \(length) bytes") }
        return Secret(bytes: Array(out.prefix(length)))
    }

    /// Builds and signs a PAC: `buffers` (type, bytes) in order, then PAC_CLIENT_INFO for
    /// `clientName@realm` at `authTime`, then the server and KDC signatures with `key`.
    func signedPAC(buffers: [(UInt32, [UInt8])], clientName: String, realm: String, authTime: Int32, key: Secret) throws -> [UInt8] {
        var pac: krb5_pac?
        try check(krb5_pac_init(context, &pac), "krb5_pac_init")
        defer { krb5_pac_free(context, pac) }
        for (type, bytes) in buffers {
            try check(bytes.withUnsafeBytes { ckrb5_pac_add(context, pac, type, $0.baseAddress, $0.count) }, "krb5_pac_add_buffer (type \(type))")
        }
        var client: krb5_principal?
        try check(ckrb5_principal(context, realm, clientName, 1 /* KRB5_NT_PRINCIPAL */, &client), "building the principal \(clientName)@\(realm)")
        defer { krb5_free_principal(context, client) }
        var out = krb5_data()
        let code = key.withUnsafeBytes { k in
            ckrb5_pac_sign(context, pac, authTime, client, Self.aes256, k.baseAddress, k.count, &out)
        }
        try check(code, "signing the PAC (krb5_pac_sign_ext)")
        defer { krb5_free_data_contents(context, &out) }
        guard let data = out.data else { return [] }
        return Array(UnsafeRawBufferPointer(start: data, count: Int(out.length)))
    }
}

