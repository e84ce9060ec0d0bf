import Foundation

/// The on-premises half of an Azure AD Kerberos server as read from a DC. Every field is nil
/// when the object it comes from is missing. See docs/fields.md for how each is derived.
public struct OnPremKerberosServer: Sendable, Equatable {
    public enum Status: String, Sendable, Codable {
        /// All three objects exist and are consistent.
        case configured = "Configured"
        /// None of the objects exists.
        case notConfigured = "NotConfigured"
        /// Some objects exist, or they contradict each other; `problems` says what.
        case incomplete = "Incomplete"
    }

    /// The domain's DNS name, from the DC's defaultNamingContext.
    public var domainDNSName: String
    /// The DC that answered (its dnsHostName).
    public var server: String?
    /// msDS-SecondaryKrbTgtNumber of the krbtgt account (the RODC "branch" number).
    public var id: Int64?
    public var computerAccount: String?
    public var userAccount: String?
    /// sAMAccountName of the krbtgt account, `krbtgt_<Id>`.
    public var displayName: String?
    /// Originating USN of the unicodePwd entry of the krbtgt's replPropertyMetaData.
    public var keyVersion: Int64?
    /// msDS-KeyVersionNumber of the krbtgt account (the key's kvno).
    public var kvno: Int64?
    public var keyUpdatedOn: Date?
    /// dNSHostName of the DC where the current key was written.
    public var keyUpdatedFrom: String?
    /// invocationId of the DC where the current key was written.
    public var keyUpdatedFromInvocationID: String?
    public var serviceConnectionPoint: String?
    public var problems: [String]

    public var status: Status {
        if computerAccount == nil && userAccount == nil && serviceConnectionPoint == nil { return .notConfigured }
        return problems.isEmpty ? .configured : .incomplete
    }

    public init(domainDNSName: String, server: String? = nil) {
        self.domainDNSName = domainDNSName
        self.server = server
        problems = []
    }
}
