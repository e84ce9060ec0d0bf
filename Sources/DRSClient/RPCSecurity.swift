/// What RPCConnection needs from a security provider at PKT_PRIVACY, whichever it is: NTLMSSP
/// (auth type 10) or Kerberos through GSS-API (auth type 16). Two halves: the sign-in, which
/// rides in bind / bind_ack / auth3, and the per-PDU sealing it sets up.

/// The client side of a sign-in: the token for bind, then, for the server's token in bind_ack,
/// the token for auth3 and the session security.
protocol RPCAuthenticator {
    var authType: UInt8 { get }
    /// Whether bind offers PFC_SUPPORT_HEADER_SIGN (the provider can sign the PDU header).
    var offersHeaderSigning: Bool { get }
    /// The auth value of the bind PDU.
    mutating func initialToken() throws -> [UInt8]
    /// The auth value of the auth3 PDU for the bind_ack's, and the session security.
    /// `headerSigning`: the server echoed PFC_SUPPORT_HEADER_SIGN.
    mutating func finish(serverToken: [UInt8], headerSigning: Bool) throws -> (auth3: [UInt8], security: any RPCSecurity)
}

/// Per-PDU sealing after a sign-in. `message` is always the PDU from its header through its
/// sec_trailer (frag_length and auth_length already final), without the token.
protocol RPCSecurity: AnyObject {
    var authType: UInt8 { get }
    /// The key MS-DRSR calls the session key (it encrypts replicated secrets).
    var sessionKey: [UInt8] { get }
    /// The token length for `dataLength` sealed bytes (what auth_length will say).
    func tokenLength(dataLength: Int) throws -> Int
    /// The exact token length a received PDU must carry, if the provider has one.
    var fixedTokenLength: Int? { get }
    /// Encrypts `message[encrypt]` in place and returns the token (`tokenLength` bytes).
    func seal(_ message: inout [UInt8], encrypt range: Range<Int>) throws -> [UInt8]
    /// Decrypts `message[decrypt]` in place and verifies `token`.
    func unseal(_ message: inout [UInt8], decrypt range: Range<Int>, token: [UInt8]) throws
}

extension NTLMSecurity: RPCSecurity {
    var authType: UInt8 { RPCConnection.authTypeNTLM }
    var sessionKey: [UInt8] { exportedSessionKey }
    func tokenLength(dataLength: Int) -> Int { RPCConnection.signatureLength }
    var fixedTokenLength: Int? { RPCConnection.signatureLength }
    func unseal(_ message: inout [UInt8], decrypt range: Range<Int>, token: [UInt8]) throws {
        try unseal(&message, decrypt: range, signature: token)
    }
}

extension NTLMClient: RPCAuthenticator {
    var authType: UInt8 { RPCConnection.authTypeNTLM }
    var offersHeaderSigning: Bool { false }
    func initialToken() -> [UInt8] { negotiate }
    func finish(serverToken: [UInt8], headerSigning: Bool) throws -> (auth3: [UInt8], security: any RPCSecurity) {
        let (message, security) = try authenticate(challengeMessage: serverToken)
        return (message, security)
    }
}
