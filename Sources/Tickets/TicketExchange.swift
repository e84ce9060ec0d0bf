import Foundation
import Basics
import SwiftASN1

/// A Kerberos error code (RFC 4120 7.5.9, MS-KILE), named where the RFC names it.
public struct KerberosErrorCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public init(_ rawValue: Int) { self.rawValue = rawValue }

    public static let nameExpired = Self(1)
    public static let serviceExpired = Self(2)
    public static let badProtocolVersion = Self(3)
    public static let clientPrincipalUnknown = Self(6)      // KDC_ERR_C_PRINCIPAL_UNKNOWN
    public static let serverPrincipalUnknown = Self(7)      // KDC_ERR_S_PRINCIPAL_UNKNOWN
    public static let policy = Self(12)                     // KDC_ERR_POLICY
    public static let badOption = Self(13)
    public static let encryptionTypeNotSupported = Self(14)
    public static let checksumTypeNotSupported = Self(15)
    public static let clientRevoked = Self(18)
    public static let serviceRevoked = Self(19)
    public static let tgtRevoked = Self(20)                 // KDC_ERR_TGT_REVOKED
    public static let keyExpired = Self(23)
    public static let preauthFailed = Self(24)
    public static let badIntegrity = Self(31)               // KRB_AP_ERR_BAD_INTEGRITY
    public static let ticketExpired = Self(32)
    public static let ticketNotYetValid = Self(33)
    public static let repeatRequest = Self(34)
    public static let notUs = Self(35)                      // KRB_AP_ERR_NOT_US
    public static let badMatch = Self(36)
    public static let clockSkew = Self(37)
    public static let modified = Self(41)
    public static let badKeyVersion = Self(44)              // KRB_AP_ERR_BADKEYVER
    public static let noKey = Self(45)
    public static let inappropriateChecksum = Self(50)      // KRB_AP_ERR_INAPP_CKSUM
    public static let responseTooBig = Self(52)
    public static let generic = Self(60)                    // KRB_ERR_GENERIC
    public static let fieldTooLong = Self(61)
    public static let wrongRealm = Self(68)

    static let names: [Int: String] = [
        0: "KDC_ERR_NONE", 1: "KDC_ERR_NAME_EXP", 2: "KDC_ERR_SERVICE_EXP", 3: "KDC_ERR_BAD_PVNO",
        4: "KDC_ERR_C_OLD_MAST_KVNO", 5: "KDC_ERR_S_OLD_MAST_KVNO", 6: "KDC_ERR_C_PRINCIPAL_UNKNOWN",
        7: "KDC_ERR_S_PRINCIPAL_UNKNOWN", 8: "KDC_ERR_PRINCIPAL_NOT_UNIQUE", 9: "KDC_ERR_NULL_KEY",
        10: "KDC_ERR_CANNOT_POSTDATE", 11: "KDC_ERR_NEVER_VALID", 12: "KDC_ERR_POLICY", 13: "KDC_ERR_BADOPTION",
        14: "KDC_ERR_ETYPE_NOSUPP", 15: "KDC_ERR_SUMTYPE_NOSUPP", 16: "KDC_ERR_PADATA_TYPE_NOSUPP",
        17: "KDC_ERR_TRTYPE_NOSUPP", 18: "KDC_ERR_CLIENT_REVOKED", 19: "KDC_ERR_SERVICE_REVOKED",
        20: "KDC_ERR_TGT_REVOKED", 21: "KDC_ERR_CLIENT_NOTYET", 22: "KDC_ERR_SERVICE_NOTYET", 23: "KDC_ERR_KEY_EXPIRED",
        24: "KDC_ERR_PREAUTH_FAILED", 25: "KDC_ERR_PREAUTH_REQUIRED", 26: "KDC_ERR_SERVER_NOMATCH",
        27: "KDC_ERR_MUST_USE_USER2USER", 28: "KDC_ERR_PATH_NOT_ACCEPTED", 29: "KDC_ERR_SVC_UNAVAILABLE",
        31: "KRB_AP_ERR_BAD_INTEGRITY", 32: "KRB_AP_ERR_TKT_EXPIRED", 33: "KRB_AP_ERR_TKT_NYV", 34: "KRB_AP_ERR_REPEAT",
        35: "KRB_AP_ERR_NOT_US", 36: "KRB_AP_ERR_BADMATCH", 37: "KRB_AP_ERR_SKEW", 38: "KRB_AP_ERR_BADADDR",
        39: "KRB_AP_ERR_BADVERSION", 40: "KRB_AP_ERR_MSG_TYPE", 41: "KRB_AP_ERR_MODIFIED", 42: "KRB_AP_ERR_BADORDER",
        44: "KRB_AP_ERR_BADKEYVER", 45: "KRB_AP_ERR_NOKEY", 46: "KRB_AP_ERR_MUT_FAIL", 47: "KRB_AP_ERR_BADDIRECTION",
        48: "KRB_AP_ERR_METHOD", 49: "KRB_AP_ERR_BADSEQ", 50: "KRB_AP_ERR_INAPP_CKSUM", 51: "KRB_AP_PATH_NOT_ACCEPTED",
        52: "KRB_ERR_RESPONSE_TOO_BIG", 60: "KRB_ERR_GENERIC", 61: "KRB_ERR_FIELD_TOOLONG",
        62: "KDC_ERROR_CLIENT_NOT_TRUSTED", 63: "KDC_ERROR_KDC_NOT_TRUSTED", 64: "KDC_ERROR_INVALID_SIG",
        65: "KDC_ERR_KEY_TOO_WEAK", 66: "KDC_ERR_CERTIFICATE_MISMATCH", 67: "KRB_AP_ERR_NO_TGT", 68: "KDC_ERR_WRONG_REALM",
        69: "KRB_AP_ERR_USER_TO_USER_REQUIRED", 70: "KDC_ERR_CANT_VERIFY_CERTIFICATE", 71: "KDC_ERR_INVALID_CERTIFICATE",
        72: "KDC_ERR_REVOKED_CERTIFICATE", 73: "KDC_ERR_REVOCATION_STATUS_UNKNOWN",
        74: "KDC_ERR_REVOCATION_STATUS_UNAVAILABLE", 75: "KDC_ERR_CLIENT_NAME_MISMATCH", 76: "KDC_ERR_KDC_NAME_MISMATCH",
    ]

    /// RFC 4120's name, e.g. "KDC_ERR_TGT_REVOKED", or "KRB_ERROR_<n>" for an unnamed code.
    public var name: String { Self.names[rawValue] ?? "KRB_ERROR_\(rawValue)" }
    public var description: String { "\(name) (\(rawValue))" }
}

/// What a KDC answered to a TGS-REQ carrying a partial TGT.
public enum ExchangeOutcome: Sendable, Equatable, CustomStringConvertible {
    /// A ticket was issued: its enc-part's kvno and etype (the key of the service it is for:
    /// for krbtgt/REALM the domain krbtgt's, i.e. a full TGT) and its server name. The reply
    /// was checked: it decrypts with the session key and carries the request's nonce.
    case issued(kvno: Int, etype: Int, server: PrincipalName)
    /// A KRB-ERROR: its code and e-text (Samba often sends none).
    case refused(KerberosErrorCode, text: String?)

    public var description: String {
        switch self {
        case .issued(let kvno, let etype, let server): "issued \(server) (etype \(etype), kvno \(kvno))"
        case .refused(let code, let text): "refused: \(code)" + (text.map { ": \($0)" } ?? "")
        }
    }
}

/// Whether a DC answers KERB-KEY-LIST-REQ (MS-KILE 2.2.11, padata 161) with KERB-KEY-LIST-REP
/// (2.2.12, padata 162) in its reply to a TGS-REQ for krbtgt/REALM made with a partial TGT.
public struct KeyListProbe: Sendable, Equatable {
    /// The exchange itself (the full TGT is issued whether or not the DC knows the padata).
    public var outcome: ExchangeOutcome
    /// A KERB-KEY-LIST-REP was in the reply (encrypted-pa-data, or the outer padata).
    public var supported: Bool
    /// The key types it held (23 = RC4-HMAC, the NT hash); never the keys.
    public var keyTypes: [Int]
}

/// Sends TGS-REQs made with a partial TGT to one KDC, named by its IP address (no DNS, no
/// krb5.conf), over TCP, and reads the answer. Each call blocks its thread for at most `timeout`
/// (connect, send and receive together); run it off the cooperative pool when that matters.
///
/// The TGS-REQ is built here (DER by swift-asn1, crypto by MIT krb5): an AP-REQ in PA-TGS-REQ
/// whose authenticator (key usage 7) carries an HMAC-SHA1-96-AES256 checksum over the DER
/// req-body (key usage 6), as Samba requires; kdc-options forwardable and canonicalize; etypes
/// AES-256 and AES-128. Nothing is written to disk.
public struct TicketExchange: Sendable {
    public let kdc: String
    public let port: UInt16
    public let timeout: Duration

    /// - Parameter kdc: the DC's IP address (IPv4 like 127.0.0.71, or IPv6), not a name.
    public init(kdc: String, port: UInt16 = 88, timeout: Duration = .seconds(10)) throws {
        var a = in_addr(), a6 = in6_addr()
        guard inet_pton(AF_INET, kdc, &a) == 1 || inet_pton(AF_INET6, kdc, &a6) == 1 else {
            throw TicketsError.invalidArgument("the KDC address must be a numeric IP address, not \(kdc)")
        }
        self.kdc = kdc
        self.port = port
        self.timeout = timeout
    }

    /// Asks for a ticket to `service` in the TGT's realm: `.krbtgt(realm:)` for the full TGT,
    /// or a service of the DC (`PrincipalName("ldap/dc1.contoso.com")`).
    public func exchange(_ tgt: PartialTGT, for service: PrincipalName) throws -> ExchangeOutcome {
        try request(tgt, service: service, keyList: false).outcome
    }

    /// A TGS-REQ for krbtgt/REALM with PA-KEY-LIST-REQ (161) asking for RC4 (23): whether the DC
    /// answers with KERB-KEY-LIST-REP (162).
    public func probeKeyList(_ tgt: PartialTGT) throws -> KeyListProbe {
        let reply = try request(tgt, service: .krbtgt(realm: tgt.realm), keyList: true)
        let rep = reply.padata.first { $0.type == PAData.keyListRep }
        var types: [Int] = []
        if let rep {
            // KERB-KEY-LIST-REP ::= SEQUENCE OF EncryptionKey; only the types are kept.
            do {
                types = try KDER.sequenceOf(try KDER.parse(rep.value), what: "KERB-KEY-LIST-REP").map { try decodeKey($0, what: "KERB-KEY-LIST-REP key").0 }
            } catch {
                throw TicketsError.malformedReply("KERB-KEY-LIST-REP: \(error)")
            }
        }
        return KeyListProbe(outcome: reply.outcome, supported: rep != nil, keyTypes: types)
    }

    struct Reply {
        var outcome: ExchangeOutcome
        /// encrypted-pa-data of the EncTGSRepPart, then the reply's outer padata.
        var padata: [PAData]
    }

    func request(_ tgt: PartialTGT, service: PrincipalName, keyList: Bool) throws -> Reply {
        let nonce = Int(UInt32.random(in: 1...0x7fff_ffff))
        let krb: Krb5
        let message: [UInt8]
        do {
            krb = try Krb5()
            message = try TGSRequest.build(tgt: tgt, service: service, nonce: nonce, keyList: keyList, now: Date(), krb: krb)
        } catch let error as Krb5Failure {
            throw TicketsError.kerberosLibrary(error.description)
        } catch {
            throw TicketsError.kerberosLibrary("encoding the TGS-REQ: \(error)")
        }
        let reply = try KDCTransport.exchange(host: kdc, port: port, request: message, timeout: timeout)
        return try Self.interpret(reply, tgt: tgt, nonce: nonce, krb: krb)
    }

    /// Reads a KDC's reply: a KRB-ERROR becomes `.refused`, a TGS-REP is decrypted and checked;
    /// anything else throws `.malformedReply`.
    static func interpret(_ bytes: [UInt8], tgt: PartialTGT, nonce: Int, krb: Krb5) throws -> Reply {
        do {
            let node = try KDER.parse(bytes)
            guard node.identifier.tagClass == .application else { throw KerberosDecodingError("not a Kerberos message (\(node.identifier))") }
            switch node.identifier.tagNumber {
            case 30:
                let error = try KRBError(der: node)
                return Reply(outcome: .refused(KerberosErrorCode(error.errorCode), text: error.text.flatMap { $0.isEmpty ? nil : $0 }), padata: [])
            case 13:
                let rep = try KDCReply(der: node, messageType: 13)
                guard rep.encPart.etype == Int(Krb5.aes256) else {
                    throw KerberosDecodingError("TGS-REP enc-part in etype \(rep.encPart.etype), not the session key's 18")
                }
                let plain: Secret
                do { plain = try krb.decrypt(rep.encPart.cipher, key: tgt.sessionKey, usage: KeyUsage.tgsRepEncPartSessionKey) } catch let e as Krb5Failure {
                    throw KerberosDecodingError("the TGS-REP does not decrypt with the session key: \(e.text)")
                }
                var bytes = plain.withUnsafeBytes { Array($0) }
                defer { wipe(&bytes) }
                var part = try EncKDCRepPart(der: bytes)
                defer { wipe(&part.key) }
                guard part.nonce == nonce else { throw KerberosDecodingError("the TGS-REP's nonce is not the request's") }
                return Reply(outcome: .issued(kvno: rep.ticket.encPart.kvno ?? 0, etype: rep.ticket.encPart.etype, server: rep.ticket.sname),
                             padata: part.encryptedPAData + rep.padata)
            default:
                throw KerberosDecodingError("unexpected message [APPLICATION \(node.identifier.tagNumber)]")
            }
        } catch let error as KerberosDecodingError {
            throw TicketsError.malformedReply(error.reason)
        }
    }
}

/// TGS-REQ ::= [APPLICATION 12] KDC-REQ { pvno [1], msg-type [2], padata [3], req-body [4] }
enum TGSRequest {
    static let kdcOptions: UInt32 = 0x4001_0000  // forwardable(1), canonicalize(15)

    static func build(tgt: PartialTGT, service: PrincipalName, nonce: Int, keyList: Bool, now: Date, krb: Krb5) throws -> [UInt8] {
        let body = try KDER.encode { s in
            try s.appendConstructedNode(identifier: .sequence) { s in
                KDER.flags(&s, 0, kdcOptions)
                KDER.string(&s, 2, tgt.realm)
                try service.encode(&s, 3)
                KDER.time(&s, 5, tgt.endTime)
                try KDER.int(&s, 7, nonce)
                try KDER.field(&s, 8) { s in
                    try s.appendConstructedNode(identifier: .sequence) { s in
                        try s.serialize(18)
                        try s.serialize(17)
                    }
                }
            }
        }
        let checksum = try krb.checksum(body, key: tgt.sessionKey, usage: KeyUsage.tgsReqAuthenticatorChecksum)
        let seconds = now.timeIntervalSince1970.rounded(.down)
        let micro = Int((now.timeIntervalSince1970 - seconds) * 1_000_000) % 1_000_000
        var authenticator = try KDER.encode { s in
            try s.appendConstructedNode(identifier: KDER.application(2)) { s in
                try s.appendConstructedNode(identifier: .sequence) { s in
                    try KDER.int(&s, 0, 5)
                    KDER.string(&s, 1, tgt.realm)
                    try tgt.client.encode(&s, 2)
                    try KDER.field(&s, 3) { s in
                        try s.appendConstructedNode(identifier: .sequence) { s in
                            try KDER.int(&s, 0, Int(Krb5.hmacSHA1AES256))
                            try KDER.octets(&s, 1, checksum)
                        }
                    }
                    try KDER.int(&s, 4, micro)
                    KDER.time(&s, 5, Date(timeIntervalSince1970: seconds))
                }
            }
        }
        defer { wipe(&authenticator) }
        let sealed = try krb.encrypt(authenticator, key: tgt.sessionKey, usage: KeyUsage.tgsReqAuthenticator)
        let apReq = try KDER.encode { s in
            try s.appendConstructedNode(identifier: KDER.application(14)) { s in
                try s.appendConstructedNode(identifier: .sequence) { s in
                    try KDER.int(&s, 0, 5)
                    try KDER.int(&s, 1, 14)
                    KDER.flags(&s, 2, 0)
                    KDER.raw(&s, 3, tgt.ticket)
                    try EncryptedData(etype: Int(Krb5.aes256), kvno: nil, cipher: sealed).encode(&s, 4)
                }
            }
        }
        var padata = [PAData(type: PAData.tgsReq, value: apReq)]
        if keyList {
            // KERB-KEY-LIST-REQ ::= SEQUENCE OF Int32 (encryption types): RC4-HMAC, the NT hash.
            padata.append(PAData(type: PAData.keyListReq, value: try KDER.encode { try $0.serializeSequenceOf([23]) }))
        }
        return try KDER.encode { s in
            try s.appendConstructedNode(identifier: KDER.application(12)) { s in
                try s.appendConstructedNode(identifier: .sequence) { s in
                    try KDER.int(&s, 1, 5)
                    try KDER.int(&s, 2, 12)
                    try PAData.encode(padata, &s, 3)
                    KDER.raw(&s, 4, body)
                }
            }
        }
    }
}
