import LDAPClient

/// A validated AD DNS domain name (RFC 1123 host-name syntax), lower-cased.
/// Validation happens before anything reaches a server, so no metacharacter of a filter or a DN
/// can come from `--domain`.
public struct DomainName: Sendable, Hashable, CustomStringConvertible {
    public let value: String

    public init(_ raw: String) throws(AADKerbError) {
        var name = raw.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        let valid = !name.isEmpty && name.utf8.count <= 253 && labels.allSatisfy { label in
            (1...63).contains(label.utf8.count)
                && label.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d }
                && label.first != "-" && label.last != "-"
        }
        guard valid else { throw .invalidDomainName(raw) }
        value = name
    }

    /// `DC=contoso,DC=corp,DC=com`.
    public var distinguishedName: DistinguishedName { DistinguishedName(domainDNSName: value) }
    /// The Kerberos realm: the DNS name in upper case.
    public var realm: String { value.uppercased() }
    public var description: String { value }
}
