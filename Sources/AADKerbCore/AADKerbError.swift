import Foundation
import LDAPClient

/// Errors of aadkerb's core, each with a one-line message that names the object and carries
/// the server's own diagnostic where there is one.
public enum AADKerbError: Error, Sendable, CustomStringConvertible {
    case invalidDomainName(String)
    /// The server answering for the domain serves another naming context.
    case domainMismatch(requested: String, served: String, server: String)
    case ldap(LDAPError)
    case malformedObject(dn: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidDomainName(raw):
            return "'\(raw.debugDescription.dropFirst().dropLast())' is not a valid DNS domain name "
                + "(letters, digits and hyphens in dot-separated labels, e.g. contoso.corp.com)"
        case let .domainMismatch(requested, served, server):
            return "\(server) serves the domain \(served), not \(requested)"
        case let .ldap(error):
            return error.description
        case let .malformedObject(dn, reason):
            return "\(dn): \(reason)"
        }
    }
}
