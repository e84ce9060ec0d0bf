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

    public static let success = Self(rawValue: 0)
    public static let operationsError = Self(rawValue: 1)
    public static let protocolError = Self(rawValue: 2)
    public static let timeLimitExceeded = Self(rawValue: 3)
    public static let sizeLimitExceeded = Self(rawValue: 4)
    public static let authMethodNotSupported = Self(rawValue: 7)
    public static let strongerAuthRequired = Self(rawValue: 8)
    public static let referral = Self(rawValue: 10)
    public static let unavailableCriticalExtension = Self(rawValue: 12)
    public static let confidentialityRequired = Self(rawValue: 13)
    public static let noSuchAttribute = Self(rawValue: 16)
    public static let constraintViolation = Self(rawValue: 19)
    public static let attributeOrValueExists = Self(rawValue: 20)
    public static let invalidAttributeSyntax = Self(rawValue: 21)
    public static let noSuchObject = Self(rawValue: 32)
    public static let invalidDNSyntax = Self(rawValue: 34)
    public static let inappropriateAuthentication = Self(rawValue: 48)
    public static let invalidCredentials = Self(rawValue: 49)
    public static let insufficientAccessRights = Self(rawValue: 50)
    public static let busy = Self(rawValue: 51)
    public static let unavailable = Self(rawValue: 52)
    public static let unwillingToPerform = Self(rawValue: 53)
    public static let notAllowedOnNonLeaf = Self(rawValue: 66)
    public static let entryAlreadyExists = Self(rawValue: 68)
    public static let other = Self(rawValue: 80)
    // libldap client-side codes
    public static let serverDown = Self(rawValue: -1)
    public static let localError = Self(rawValue: -2)
    public static let encodingError = Self(rawValue: -3)
    public static let decodingError = Self(rawValue: -4)
    public static let timeout = Self(rawValue: -5)
    public static let authUnknown = Self(rawValue: -6)
    public static let filterError = Self(rawValue: -7)
    public static let paramError = Self(rawValue: -9)
    public static let noMemory = Self(rawValue: -10)
    public static let connectError = Self(rawValue: -11)
    public static let notSupported = Self(rawValue: -12)
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
