import LDAPClient
import TenantAPI
import Basics

/// A validated AD DNS domain name (RFC 1123 host-name syntax), lower-cased.
/// Validation happens before anything reaches a server, so no metacharacter of a filter or a DN
/// can come from `--domain`.
public struct DomainName: Sendable, Hashable, CustomStringConvertible {
    public let value: String

    public init(_ raw: String) throws(AADKerbError) {
        var name = raw.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        guard DNSName.isValid(name) else { throw .invalidDomainName(raw) }
        value = name
    }

    /// `DC=contoso,DC=corp,DC=com`.
    public var distinguishedName: DistinguishedName { DistinguishedName(domainDNSName: value) }
    /// The Kerberos realm: the DNS name in upper case.
    public var realm: String { value.uppercased() }
    public var description: String { value }
}
