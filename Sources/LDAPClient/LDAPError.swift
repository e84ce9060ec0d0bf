import Foundation
import CLDAP
import EndpointProbe

/// An LDAP result code, as a struct over libldap's integer codes (like swift-system's `Errno`).
///
/// Positive values are protocol result codes sent by the server (RFC 4511 §4.1.9); negative values
/// are libldap's client-side codes (`LDAP_SERVER_DOWN`, `LDAP_TIMEOUT`, ...).
public struct LDAPResultCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// libldap's name for the code (`ldap_err2string`), e.g. "Invalid credentials".
    public var name: String { String(cString: ldap_err2string(rawValue)) }
    public var description: String { "\(name) (\(rawValue))" }

    public static let success = Self(rawValue: LDAP_SUCCESS)
    public static let operationsError = Self(rawValue: LDAP_OPERATIONS_ERROR)
    public static let protocolError = Self(rawValue: LDAP_PROTOCOL_ERROR)
    public static let timeLimitExceeded = Self(rawValue: LDAP_TIMELIMIT_EXCEEDED)
    public static let sizeLimitExceeded = Self(rawValue: LDAP_SIZELIMIT_EXCEEDED)
    public static let authMethodNotSupported = Self(rawValue: LDAP_AUTH_METHOD_NOT_SUPPORTED)
    public static let strongerAuthRequired = Self(rawValue: LDAP_STRONG_AUTH_REQUIRED)
    public static let referral = Self(rawValue: LDAP_REFERRAL)
    public static let unavailableCriticalExtension = Self(rawValue: LDAP_UNAVAILABLE_CRITICAL_EXTENSION)
    public static let confidentialityRequired = Self(rawValue: LDAP_CONFIDENTIALITY_REQUIRED)
    public static let noSuchAttribute = Self(rawValue: LDAP_NO_SUCH_ATTRIBUTE)
    public static let constraintViolation = Self(rawValue: LDAP_CONSTRAINT_VIOLATION)
    public static let attributeOrValueExists = Self(rawValue: LDAP_TYPE_OR_VALUE_EXISTS)
    public static let invalidAttributeSyntax = Self(rawValue: LDAP_INVALID_SYNTAX)
    public static let noSuchObject = Self(rawValue: LDAP_NO_SUCH_OBJECT)
    public static let invalidDNSyntax = Self(rawValue: LDAP_INVALID_DN_SYNTAX)
    public static let inappropriateAuthentication = Self(rawValue: LDAP_INAPPROPRIATE_AUTH)
    public static let invalidCredentials = Self(rawValue: LDAP_INVALID_CREDENTIALS)
    public static let insufficientAccessRights = Self(rawValue: LDAP_INSUFFICIENT_ACCESS)
    public static let busy = Self(rawValue: LDAP_BUSY)
    public static let unavailable = Self(rawValue: LDAP_UNAVAILABLE)
    public static let unwillingToPerform = Self(rawValue: LDAP_UNWILLING_TO_PERFORM)
    public static let notAllowedOnNonLeaf = Self(rawValue: LDAP_NOT_ALLOWED_ON_NONLEAF)
    public static let entryAlreadyExists = Self(rawValue: LDAP_ALREADY_EXISTS)
    public static let other = Self(rawValue: LDAP_OTHER)
    // libldap client-side codes (negative)
    public static let serverDown = Self(rawValue: LDAP_SERVER_DOWN)
    public static let localError = Self(rawValue: LDAP_LOCAL_ERROR)
    public static let encodingError = Self(rawValue: LDAP_ENCODING_ERROR)
    public static let decodingError = Self(rawValue: LDAP_DECODING_ERROR)
    public static let timeout = Self(rawValue: LDAP_TIMEOUT)
    public static let authUnknown = Self(rawValue: LDAP_AUTH_UNKNOWN)
    public static let filterError = Self(rawValue: LDAP_FILTER_ERROR)
    public static let paramError = Self(rawValue: LDAP_PARAM_ERROR)
    public static let noMemory = Self(rawValue: LDAP_NO_MEMORY)
    public static let connectError = Self(rawValue: LDAP_CONNECT_ERROR)
    public static let notSupported = Self(rawValue: LDAP_NOT_SUPPORTED)
}

/// What went wrong, at the level an operator acts on.
public enum LDAPFailureKind: String, Sendable {
    /// The server could not be reached, or the connection dropped.
    case unreachable
    /// TLS could not be established: certificate not trusted, name mismatch, handshake failure.
    case tls
    /// The operation or connection did not complete within its time limit.
    case timeout
    /// The server rejected the credentials.
    case authentication
    /// The server demands an encrypted or signed connection for this bind or operation.
    case strongerAuthRequired
    /// The bound account lacks the rights for this operation.
    case accessDenied
    /// The object named does not exist.
    case noSuchObject
    /// Any other error reported by the server or the library.
    case other
}

/// An LDAP failure: the result code, libldap's name for it, and the server's own diagnostic text
/// (Active Directory's `0000202F: ...` messages), together with what was being done to which object.
public struct LDAPError: Error, Sendable, CustomStringConvertible {
    public let code: LDAPResultCode
    /// The server's diagnostic message (`LDAP_OPT_DIAGNOSTIC_MESSAGE`), or libldap's note for
    /// client-side failures (for example "TLS: hostname does not match ..."), if any.
    public let diagnosticMessage: String?
    /// The matched DN the server returned with `noSuchObject`, if any.
    public let matchedDN: String?
    /// The operation, e.g. "bind", "search", "add".
    public let operation: String
    /// The DN or URI the operation was about.
    public let target: String?

    /// Set when the connection layer knows more than the code says (a TLS failure reported as
    /// "Can't contact LDAP server", a handshake cut short by the connect deadline).
    private let knownKind: LDAPFailureKind?
    /// What a second look at the server found, after a failed connect: the real cause.
    public let finding: EndpointFinding?

    public init(code: LDAPResultCode, diagnosticMessage: String? = nil, matchedDN: String? = nil,
                operation: String, target: String? = nil, kind: LDAPFailureKind? = nil, finding: EndpointFinding? = nil) {
        self.code = code
        self.finding = finding
        self.knownKind = kind ?? finding.flatMap { finding in
            finding.isTimeout ? .timeout : finding.isReachability ? .unreachable : finding.isFault ? .tls : nil
        }
        let trimmed = diagnosticMessage?.trimmingCharacters(in: .whitespacesAndNewlines.union(["\0"]))
        self.diagnosticMessage = (trimmed?.isEmpty ?? true) ? nil : trimmed
        self.matchedDN = (matchedDN?.isEmpty ?? true) ? nil : matchedDN
        self.operation = operation
        self.target = target
    }

    public var kind: LDAPFailureKind {
        if let knownKind { return knownKind }
        switch code {
        case .invalidCredentials, .inappropriateAuthentication, .authUnknown: return .authentication
        case .strongerAuthRequired, .confidentialityRequired: return .strongerAuthRequired
        case .insufficientAccessRights: return .accessDenied
        case .noSuchObject: return .noSuchObject
        case .timeout, .timeLimitExceeded: return .timeout
        case .connectError: return .tls
        case .serverDown:
            return .unreachable
        default:
            return .other
        }
    }

    public var description: String {
        var s = "LDAP \(operation)"
        if let target { s += " on \(target)" }
        if let finding, finding.isFault { return s + " failed: \(finding)" }
        s += " failed: \(code.name) (\(code.rawValue))"
        if let diagnosticMessage { s += ": \(diagnosticMessage)" }
        if let words = adDataCode.flatMap({ Self.adDataCodes[$0] }) { s += " (\(words))" }
        if let matchedDN { s += " [matched: \(matchedDN)]" }
        return s
    }

    /// Active Directory's sub-status of a failed bind: the `data 52e` in "AcceptSecurityContext
    /// error, data 52e, v4563", lowercased; nil when the diagnostic has none.
    public var adDataCode: String? {
        guard let text = diagnosticMessage?.lowercased(), let range = text.range(of: "data ") else { return nil }
        let code = text[range.upperBound...].prefix { $0.isHexDigit }
        return code.isEmpty ? nil : String(code)
    }

    /// AD's bind sub-statuses in words (MS-ADTS / the Windows logon status codes they stand for).
    static let adDataCodes: [String: String] = [
        "525": "no such user",
        "52e": "wrong user name or password",
        "530": "not permitted to sign in at this time",
        "531": "not permitted to sign in from this workstation",
        "532": "the password has expired",
        "533": "the account is disabled",
        "701": "the account has expired",
        "773": "the password must be changed before signing in",
        "775": "the account is locked out",
    ]
}
