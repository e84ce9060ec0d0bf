import Basics
import CGSSAPI

/// Kerberos for DCE/RPC through MIT's GSS-API (auth type 16, RPC_C_AUTHN_GSS_KERBEROS), the way
/// Windows and Samba do it: DCE style (GSS_C_DCE_STYLE), a three-leg exchange (bind: AP-REQ,
/// bind_ack: AP-REP, auth3: the client's AP-REP), mutual authentication, and every PDU sealed
/// with gss_wrap_iov: the stub and its padding encrypted, the PDU header and sec_trailer signed
/// too when header signing was negotiated. The credential is the default one (the ccache
/// KRB5CCNAME names, after kinit) or, for a sign-in with a password, the MEMORY ccache
/// PasswordKerberos filled. The session key is GSS_C_INQ_SSPI_SESSION_KEY's.

/// A GSS-API failure: what was being done, the major and minor codes and their texts.
struct GSSError: Error, CustomStringConvertible {
    var operation: String
    var major: UInt32
    var minor: UInt32
    var text: String

    init(_ operation: String, major: UInt32, minor: UInt32) {
        self.operation = operation
        self.major = major
        self.minor = minor
        text = Self.statusText(major: major, minor: minor)
    }

    /// gss_display_status for both codes, e.g. "No credentials were supplied, or the credentials were
    /// unavailable or inaccessible (No Kerberos credentials available (default cache: FILE:/tmp/cc))".
    static func statusText(major: UInt32, minor: UInt32) -> String {
        func text(_ code: UInt32, _ isMajor: Bool) -> String {
            var buffer = [CChar](repeating: 0, count: 1024)
            buffer.withUnsafeMutableBufferPointer { cgss_status_text(code, isMajor ? 1 : 0, $0.baseAddress, $0.count) }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        let majorText = text(major, true), minorText = minor != 0 ? text(minor, false) : ""
        return minorText.isEmpty ? majorText : "\(majorText) (\(minorText))"
    }

    /// MIT krb5 minor codes (krb5.h), as GSS-API hands them over (a 32-bit unsigned view).
    enum KRB5 {
        static func code(_ value: Int64) -> UInt32 { UInt32(truncatingIfNeeded: value) }
        static let ccNotFound = code(-1765328243)        // KRB5_CC_NOTFOUND: "Matching credential not found"
        static let ccEnd = code(-1765328242)             // KRB5_CC_END
        static let fccNoFile = code(-1765328189)         // KRB5_FCC_NOFILE: no credentials cache found
        static let ticketExpired = code(-1765328352)     // KRB5KRB_AP_ERR_TKT_EXPIRED
        static let kdcUnreachable = code(-1765328228)    // KRB5_KDC_UNREACH: cannot contact any KDC
        static let realmCantResolve = code(-1765328164)  // KRB5_REALM_CANT_RESOLVE
        static let realmUnknown = code(-1765328230)      // KRB5_REALM_UNKNOWN
    }

    /// No usable ticket in the credential cache: GSS_S_NO_CRED or GSS_S_CREDENTIALS_EXPIRED, or
    /// krb5's own codes for a missing cache, a missing credential and an expired ticket (by code,
    /// so a translated krb5 is recognised too; the English texts are a last resort).
    var isMissingCredentials: Bool {
        let routine = major & 0x00ff_0000
        if routine == 0x0007_0000 /* GSS_S_NO_CRED */ || routine == 0x000b_0000 /* GSS_S_CREDENTIALS_EXPIRED */ { return true }
        if [KRB5.ccNotFound, KRB5.ccEnd, KRB5.fccNoFile, KRB5.ticketExpired].contains(minor) { return true }
        return text.contains("No Kerberos credentials available") || text.contains("Ticket expired")
            || text.contains("Matching credential not found")
    }

    /// The KDC could not be reached (or found): a network problem, not a refusal.
    var isKDCUnreachable: Bool { [KRB5.kdcUnreachable, KRB5.realmCantResolve, KRB5.realmUnknown].contains(minor) }

    var description: String { "\(operation): \(text) [GSS major \(Status.hex(major)), minor \(minor)]" }
}

enum Kerberos {
    /// The principal in the default credential cache, or nil (with why) when there is none.
    static func defaultPrincipal() -> Result<String, GSSError> {
        var minor: UInt32 = 0
        var buffer = [CChar](repeating: 0, count: 512)
        let major = buffer.withUnsafeMutableBufferPointer { cgss_default_principal(&minor, $0.baseAddress, $0.count) }
        guard cgss_is_error(major) == 0 else { return .failure(GSSError("acquiring the default Kerberos credential", major: major, minor: minor)) }
        return .success(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}

/// The client side of a DCE-style Kerberos sign-in to `target`: a host-based service name
/// (`host@dc1.contoso.com`) or a principal (`E3514235-.../guid/contoso.com@CONTOSO.COM`).
final class KerberosClient: RPCAuthenticator {
    let target: String
    private var context: gss_ctx_id_t? = cgss_no_context()
    private var name: gss_name_t?
    private var credential: gss_cred_id_t? = cgss_no_credential()
    private var handedOver = false
    static let flags = UInt32(GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG | GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG) | cgss_dce_style()

    /// `ccache`: the credential cache to sign in from (e.g. "MEMORY:..."); nil for the default one.
    init(target: String, ccache: String? = nil) throws {
        self.target = target
        var minor: UInt32 = 0
        let hostbased = !target.contains("/") && target.contains("@")
        let major = cgss_import_name(&minor, target, hostbased ? 1 : 0, &name)
        guard cgss_is_error(major) == 0 else { throw GSSError("importing the name \(target)", major: major, minor: minor) }
        if let ccache {
            let major = cgss_acquire_from_ccache(&minor, ccache, &credential)
            guard cgss_is_error(major) == 0 else { throw GSSError("acquiring the credential in \(ccache)", major: major, minor: minor) }
        }
    }

    deinit {
        var minor: UInt32 = 0
        if name != nil { gss_release_name(&minor, &name) }
        if credential != nil { gss_release_cred(&minor, &credential) }
        if !handedOver, context != nil { gss_delete_sec_context(&minor, &context, nil) }
    }

    var authType: UInt8 { RPCConnection.authTypeKerberos }
    var offersHeaderSigning: Bool { true }

    func initialToken() throws -> [UInt8] {
        let (major, token) = try step(nil)
        guard major == cgss_continue_needed() else {
            throw GSSError("gss_init_sec_context for \(target) completed in one leg, without DCE-style mutual authentication", major: major, minor: 0)
        }
        return token
    }

    func finish(serverToken: [UInt8], headerSigning: Bool) throws -> (auth3: [UInt8], security: any RPCSecurity) {
        let (major, token) = try step(serverToken)
        guard major == 0 else {
            throw GSSError("gss_init_sec_context for \(target) wants another leg after the server's AP-REP", major: major, minor: 0)
        }
        var minor: UInt32 = 0
        var key = [UInt8](repeating: 0, count: 64)
        var length = 0
        let keyMajor = key.withUnsafeMutableBytes { cgss_session_key(&minor, context, $0.baseAddress, $0.count, &length) }
        guard cgss_is_error(keyMajor) == 0, length > 0, length <= key.count else {
            wipe(&key)
            throw GSSError("reading the Kerberos session key (GSS_C_INQ_SSPI_SESSION_KEY)", major: keyMajor, minor: minor)
        }
        let sessionKey = Array(key.prefix(length))
        wipe(&key)
        handedOver = true
        return (token, KerberosSecurity(context: context, sessionKey: sessionKey, headerSigning: headerSigning))
    }

    private func step(_ input: [UInt8]?) throws -> (UInt32, [UInt8]) {
        var minor: UInt32 = 0, returned: UInt32 = 0
        var output = gss_buffer_desc()
        let major: UInt32
        if let input {
            major = input.withUnsafeBytes { cgss_init(&minor, credential, &context, name, Self.flags, $0.baseAddress, $0.count, &output, &returned) }
        } else {
            major = cgss_init(&minor, credential, &context, name, Self.flags, nil, 0, &output, &returned)
        }
        defer { var m: UInt32 = 0; gss_release_buffer(&m, &output) }
        guard cgss_is_error(major) == 0 else {
            throw GSSError("gss_init_sec_context for \(target)", major: major, minor: minor)
        }
        let token = output.value.map { Array(UnsafeRawBufferPointer(start: $0, count: output.length)) } ?? []
        return (major, token)
    }
}

/// A sealed reply whose token does not verify (or whose stub does not decrypt).
struct KerberosUnsealFailed: Error, CustomStringConvertible {
    var error: GSSError
    var description: String { "Kerberos-sealed reply does not verify: \(error)" }
}

/// The sealing half of an established DCE-style GSS-API Kerberos context.
final class KerberosSecurity: RPCSecurity {
    private var context: gss_ctx_id_t?
    private(set) var sessionKey: [UInt8]
    let headerSigning: Bool

    init(context: gss_ctx_id_t?, sessionKey: [UInt8], headerSigning: Bool) {
        self.context = context
        self.sessionKey = sessionKey
        self.headerSigning = headerSigning
    }

    deinit {
        wipe(&sessionKey)
        var minor: UInt32 = 0
        if context != nil { gss_delete_sec_context(&minor, &context, nil) }
    }

    var authType: UInt8 { RPCConnection.authTypeKerberos }
    var fixedTokenLength: Int? { nil }

    func tokenLength(dataLength: Int) throws -> Int {
        var minor: UInt32 = 0, size = 0
        let major = cgss_wrap_token_size(&minor, context, dataLength, &size)
        guard cgss_is_error(major) == 0 else { throw GSSError("gss_wrap_iov_length", major: major, minor: minor) }
        return size
    }

    func seal(_ message: inout [UInt8], encrypt range: Range<Int>) throws -> [UInt8] {
        var token = [UInt8](repeating: 0, count: try tokenLength(dataLength: range.count))
        let (major, minor, sealed) = transform(&message, range, &token, cgss_wrap)
        guard cgss_is_error(major) == 0 else { throw GSSError("gss_wrap_iov", major: major, minor: minor) }
        guard sealed != 0 else { throw GSSError("gss_wrap_iov did not encrypt", major: major, minor: minor) }
        return token
    }

    func unseal(_ message: inout [UInt8], decrypt range: Range<Int>, token: [UInt8]) throws {
        var token = token
        let (major, minor, sealed) = transform(&message, range, &token, cgss_unwrap)
        guard cgss_is_error(major) == 0 else { throw KerberosUnsealFailed(error: GSSError("gss_unwrap_iov", major: major, minor: minor)) }
        guard sealed != 0 else { throw KerberosUnsealFailed(error: GSSError("the reply was signed but not encrypted", major: major, minor: minor)) }
    }

    typealias IOVCall = (UnsafeMutablePointer<OM_uint32>?, gss_ctx_id_t?, UnsafeRawPointer?, Int, UnsafeMutableRawPointer?, Int,
                         UnsafeRawPointer?, Int, UnsafeMutableRawPointer?, Int, UnsafeMutablePointer<Int32>?) -> OM_uint32

    /// Runs cgss_wrap or cgss_unwrap over `message`: `range` transformed in place (encrypted or
    /// decrypted), the bytes before and after it signed only when header signing is on, `token`
    /// the GSS token. Returns the major and minor status and whether confidentiality applied.
    private func transform(_ message: inout [UInt8], _ range: Range<Int>, _ token: inout [UInt8], _ call: IOVCall) -> (OM_uint32, OM_uint32, Int32) {
        var minor: OM_uint32 = 0, sealed: Int32 = 0
        var data = Array(message[range])
        let pre = headerSigning ? Array(message[..<range.lowerBound]) : nil
        let post = headerSigning ? Array(message[range.upperBound...]) : nil
        let major = token.withUnsafeMutableBytes { t in
            data.withUnsafeMutableBytes { d in
                withOptionalBytes(pre) { p in
                    withOptionalBytes(post) { q in
                        call(&minor, context, p.baseAddress, p.count, d.baseAddress, d.count, q.baseAddress, q.count,
                             t.baseAddress, t.count, &sealed)
                    }
                }
            }
        }
        if cgss_is_error(major) == 0 { message.replaceSubrange(range, with: data) }
        return (major, minor, sealed)
    }
}

/// The bytes of `bytes`, or an empty buffer with a nil base address for nil (an EMPTY iov).
private func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    guard let bytes else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
    return bytes.withUnsafeBytes(body)
}
