import Foundation
import TenantAPI
import Basics

/// The on-premises objects compared with the cloud's KerberosDomain, pair by pair, as the
/// cmdlet's Id/CloudId, DomainDnsName/CloudDomainDnsName, ... twins.
public struct KerberosServerComparison: Sendable, Equatable {
    public enum Verdict: String, Sendable, Codable {
        case match = "Match"
        case differ = "Differ"
        case missingOnPrem = "MissingOnPrem"
        case missingInCloud = "MissingInCloud"
        /// Neither side has a value (nothing configured on either side, or a field both lack).
        case absent = "Absent"
    }

    public enum SyncStatus: String, Sendable, Codable {
        /// Both sides exist and every pair matches.
        case inSync = "InSync"
        /// Both sides exist and at least one pair differs.
        case drifted = "Drifted"
        case missingInCloud = "MissingInCloud"
        case missingOnPrem = "MissingOnPrem"
        /// The on-prem objects are incomplete; the comparison would not mean much.
        case incomplete = "Incomplete"
        case notConfigured = "NotConfigured"
    }

    public struct Pair: Sendable, Equatable {
        public var name: String
        public var onPrem: String?
        public var cloud: String?
        public var verdict: Verdict
    }

    public var pairs: [Pair]
    public var status: SyncStatus

    public init(onPrem: OnPremKerberosServer, cloud: KerberosDomain?) {
        let configured = onPrem.status != .notConfigured
        var values: [(String, String?, String?)] = [
            ("Id", onPrem.id.map(String.init), cloud.map { String($0.id) }),
            ("DomainDnsName", configured ? onPrem.domainDNSName : nil, cloud?.domainDnsName.lowercased()),
            ("DisplayName", onPrem.displayName, cloud?.displayName),
            ("KeyVersion", onPrem.keyVersion.map(String.init), cloud.map { String($0.keyVersion) }),
            ("KeyUpdatedOn", onPrem.keyUpdatedOn.map(ISO8601.string), cloud?.keyUpdatedOn.flatMap(ISO8601.date).map(ISO8601.string)),
        ]
        // Once the tenant holds a key, it must be the DC's current key version.
        if let key = cloud?.currentKey { values.append(("Kvno", onPrem.kvno.map(String.init), String(key.kvno))) }
        pairs = values.map { name, local, remote in
            let verdict: Verdict
            switch (local, remote) {
            case (nil, nil): verdict = .absent
            case (nil, _): verdict = .missingOnPrem
            case (_, nil): verdict = .missingInCloud
            case let (l?, r?): verdict = l == r ? .match : .differ
            }
            return Pair(name: name, onPrem: local, cloud: remote, verdict: verdict)
        }
        switch (onPrem.status, cloud) {
        case (.notConfigured, nil): status = .notConfigured
        case (.notConfigured, _?): status = .missingOnPrem
        case (.incomplete, _): status = .incomplete
        case (.configured, nil): status = .missingInCloud
        case (.configured, _?): status = pairs.allSatisfy { $0.verdict == .match } ? .inSync : .drifted
        }
    }
}

extension KerberosDomain {
    /// Copies the on-prem twins of the cmdlet's pairs (Id, DisplayName, KeyVersion, KeyUpdatedOn,
    /// KeyUpdatedFrom) into the cloud object; what the DC did not report is left as it was.
    public mutating func copyMetadata(from onPrem: OnPremKerberosServer) {
        if let id = onPrem.id { self.id = id }
        if let name = onPrem.displayName { displayName = name }
        if let keyVersion = onPrem.keyVersion { self.keyVersion = keyVersion }
        keyUpdatedOn = onPrem.keyUpdatedOn.map(ISO8601.string)
        keyUpdatedFrom = onPrem.keyUpdatedFrom
    }
}
