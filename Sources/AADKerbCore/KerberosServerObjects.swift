import LDAPClient

/// Where the on-premises objects of an Azure AD Kerberos server live in a domain.
public struct KerberosServerObjects: Sendable, Equatable {
    /// The serviceConnectionPoint's CN, fixed by Microsoft's module.
    public static let serviceConnectionPointName = "900274c4-b7d2-43c8-90ee-00a9f650e335"

    public let domain: DomainName
    public let domainDN: DistinguishedName
    /// `CN=AzureADKerberos,OU=Domain Controllers,<domain>`: the read-only DC computer object.
    public let computer: DistinguishedName
    /// `CN=krbtgt_AzureAD,CN=Users,<domain>`: the disabled account that holds the TGT key.
    public let krbtgt: DistinguishedName
    /// `CN=AzureAD,CN=System,<domain>`: the container of the service connection point.
    public let container: DistinguishedName
    /// `CN=900274c4-...,CN=AzureAD,CN=System,<domain>`.
    public let serviceConnectionPoint: DistinguishedName

    public init(domain: DomainName) {
        self.domain = domain
        domainDN = domain.distinguishedName
        computer = domainDN.child("OU", "Domain Controllers").child("CN", "AzureADKerberos")
        krbtgt = domainDN.child("CN", "Users").child("CN", "krbtgt_AzureAD")
        container = domainDN.child("CN", "System").child("CN", "AzureAD")
        serviceConnectionPoint = container.child("CN", Self.serviceConnectionPointName)
    }
}

/// userAccountControl bits used here (MS-ADTS 2.2.16).
public enum UserAccountControl {
    public static let accountDisable: UInt32 = 0x0000_0002
    public static let normalAccount: UInt32 = 0x0000_0200
    public static let workstationTrustAccount: UInt32 = 0x0000_1000
    public static let trustedToAuthForDelegation: UInt32 = 0x0100_0000
    public static let partialSecretsAccount: UInt32 = 0x0400_0000
}
