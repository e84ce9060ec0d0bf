import AADKerbCore
import EndpointProbe
import LDAPClient

/// The fix to print beside a failed connection (doctor's `connect` check), from the cause the
/// connection layer found rather than a list of guesses.
enum FailureHint {
    static func fix(for error: any Error) -> String {
        let status = ExitStatus(error)
        var ldap = error as? LDAPError
        if case let .ldap(wrapped)? = error as? AADKerbError { ldap = wrapped }
        if let ldap {
            if let finding = ldap.finding, let fix = fix(for: finding) { return fix }
            switch ldap.kind {
            case .authentication: return "check --user and the password (or the Kerberos ticket with klist)"
            case .accessDenied: return "use an account with the rights (Domain Admins)"
            case .strongerAuthRequired: return "drop --no-starttls: the DC requires TLS or sealing"
            default: break
            }
        }
        return "check --server, --ca-file and the account (exit code \(status.rawValue), docs/exit-codes.md)"
    }

    static func fix(for finding: EndpointFinding) -> String? {
        switch finding {
        case .nameNotResolved:
            return "check the DC's name in DNS, or give --server with a host name or address that resolves here"
        case let .refused(endpoint):
            return "nothing listens on \(endpoint): check --server's port (LDAPS 636, LDAP 389) and that the DC's LDAP service runs"
        case .noAnswer:
            return "open TCP 636 (or 389) from this host to the DC, or raise --connect-timeout"
        case .networkUnreachable:
            return "check this host's route to the DC"
        case .silent:
            return "the port accepts connections but does not answer: is it the DC's LDAP port?"
        case .plainLDAP, .directTLS:
            return "use the URI the message gives"
        case .notLDAPOrTLS, .closedDuringHandshake, .handshakeRejected, .startTLSRefused:
            return "check that --server names the DC's LDAP port (LDAPS 636, LDAP 389)"
        case let .certificate(_, problems, _, _):
            switch problems.first {
            case .nameMismatch?: return "name the DC by a name its certificate holds: --server ldaps://<one of those names>"
            case .expired?, .notYetValid?: return "renew the DC's certificate (or check this host's clock)"
            case .unknownIssuer?, .selfSigned?: return "--ca-file with the CA that signed the DC's certificate"
            default: return "--ca-file with the CA that signed the DC's certificate"
            }
        case .noFault:
            return nil
        }
    }
}
