import AADKerbCore
import DRSClient
import ArgumentParser
import LDAPClient
import TenantClient

/// aadkerb's exit codes: the one place that maps outcomes and errors to them (docs/exit-codes.md).
enum ExitStatus: Int32, CaseIterable {
    case success = 0
    case failure = 1
    case notConfigured = 3
    case drifted = 4
    case incomplete = 5
    case notDue = 6
    case refused = 7
    case checksWarned = 8
    case checksFailed = 9
    case authenticationFailed = 10
    case accessDenied = 11
    case unreachable = 12
    case tlsFailure = 13
    case encryptionRequired = 14
    case timeout = 15
    case wrongDomain = 16
    case tenantFailure = 17
    /// `rotate`: the DC made a new key that not every writable DC holds yet; nothing published.
    case pending = 18
    /// `verify`: a DC refused the cloud's ticket for at least one user.
    case signInRefused = 19
    /// `remove`: the admin answered no at the prompt; nothing was changed.
    case declined = 20
    case usage = 64
    case unreadableInput = 66

    var exitCode: ExitCode { ExitCode(rawValue) }

    /// A stable name for JSON error output.
    var name: String {
        switch self {
        case .success: return "success"
        case .failure: return "failure"
        case .notConfigured: return "not-configured"
        case .drifted: return "drifted"
        case .incomplete: return "incomplete"
        case .notDue: return "not-due"
        case .refused: return "refused"
        case .checksWarned: return "checks-warned"
        case .checksFailed: return "checks-failed"
        case .authenticationFailed: return "authentication-failed"
        case .accessDenied: return "access-denied"
        case .unreachable: return "unreachable"
        case .tlsFailure: return "tls-failure"
        case .encryptionRequired: return "encryption-required"
        case .timeout: return "timeout"
        case .wrongDomain: return "wrong-domain"
        case .tenantFailure: return "tenant-failure"
        case .pending: return "pending"
        case .signInRefused: return "sign-in-refused"
        case .declined: return "declined"
        case .usage: return "usage"
        case .unreadableInput: return "unreadable-input"
        }
    }

    init(_ status: OnPremKerberosServer.Status) {
        switch status {
        case .configured: self = .success
        case .notConfigured: self = .notConfigured
        case .incomplete: self = .incomplete
        }
    }

    init(_ error: any Error) {
        switch error {
        case let error as CLIError:
            self = error.status
        case let error as AADKerbError:
            switch error {
            case .invalidDomainName: self = .usage
            case .domainMismatch: self = .wrongDomain
            case let .ldap(ldap): self = ExitStatus(ldap)
            case .malformedObject: self = .failure
            }
        case let error as LDAPError:
            self = ExitStatus(error)
        case let error as DRSError:
            if error.isTimeout { self = .timeout; break }
            switch error.step {
            case .connect, .endpointMapper: self = .unreachable
            case .authentication: self = .authenticationFailed
            case .getNCChanges where error.statusName == "WERR_DS_DRA_ACCESS_DENIED": self = .accessDenied
            default: self = .failure
            }
        case let error as RevealPolicyError:
            switch error {
            case .notFound, .ambiguous: self = .usage
            case .noComputerObject: self = .notConfigured
            }
        case is StoreConflict:
            self = .tenantFailure
        case let error as RotationError:
            switch error {
            case .notConfigured: self = .incomplete
            case .cloudMissing: self = .incomplete
            case .kvnoDidNotAdvance, .previousKeyNotTheTenants, .tenantChanged: self = .failure
            }
        case let error as TenantError:
            switch error.kind {
            case .authentication: self = .authenticationFailed
            case .forbidden: self = .accessDenied
            case .unreachable: self = .unreachable
            case .tls: self = .tlsFailure
            case .timeout: self = .timeout
            default: self = .tenantFailure
            }
        default:
            self = .failure
        }
    }

    init(_ error: LDAPError) {
        switch error.kind {
        case .authentication: self = .authenticationFailed
        case .accessDenied: self = .accessDenied
        case .unreachable: self = .unreachable
        case .tls: self = .tlsFailure
        case .strongerAuthRequired: self = .encryptionRequired
        case .timeout: self = .timeout
        case .noSuchObject, .other: self = .failure
        }
    }
}

/// Errors raised by the command-line layer itself.
struct CLIError: Error, CustomStringConvertible {
    let status: ExitStatus
    let message: String
    var description: String { message }

    static func usage(_ message: String) -> CLIError { CLIError(status: .usage, message: message) }
    static func unreadable(_ message: String) -> CLIError { CLIError(status: .unreadableInput, message: message) }
}
