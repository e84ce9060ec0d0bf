import AADKerbCore
import ArgumentParser
import Foundation
import LDAPClient
import TenantAPI
import TenantClient

struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Show the Azure AD Kerberos server of a domain and compare it with the cloud (like Get-AzureADKerberosServer).",
        discussion: """
            Reads the three on-premises objects (Id, UserAccount, ComputerAccount, DisplayName, \
            DomainDnsName, KeyVersion, Kvno, KeyUpdatedOn, KeyUpdatedFrom) and, with --tenant, the \
            tenant's KerberosDomain (CloudId, CloudDomainDnsName, CloudDisplayName, CloudKeyVersion, \
            CloudKeyUpdatedOn), both at once, and compares each pair. docs/fields.md says how each \
            field is derived.

            Exit codes: 0 configured (and in sync, when the cloud was read); 3 nothing configured; \
            4 drifted: both sides exist but a pair differs; 5 incomplete, or missing on one side; \
            10 authentication failed; 11 access denied; 12 unreachable; 13 TLS failure; 14 the DC \
            requires encryption; 15 timed out; 16 the DC serves another domain; 17 the tenant API \
            failed; 64 bad usage; 66 unreadable input file. With several --domain, the domains \
            are read concurrently and the exit code combines theirs (docs/exit-codes.md).

            \(Manual.helpFooter("get"))
            """)

    @OptionGroup var connection: DomainOptions
    @OptionGroup var tenant: TenantOptions
    @OptionGroup var entra: EntraOptions
    @OptionGroup var output: OutputOptions

    @Flag(help: "Read only the on-premises objects, even when a tenant is configured (split networks).")
    var onPremOnly = false

    @Flag(help: "Read only the cloud object: no domain credentials needed.")
    var cloudOnly = false

    @Flag(help: "Also ask every writable DC of the domain (found under OU=Domain Controllers, reached by host name) for the key version it holds: has a rotation replicated everywhere?")
    var allDcs = false

    @Option(help: ArgumentHelp("With -o nagios: WARNING when the key is at least this old (e.g. 45d).", valueName: "age"))
    var warnAge: Interval?

    @Option(help: ArgumentHelp("With -o nagios: CRITICAL when the key is at least this old (e.g. 90d).", valueName: "age"))
    var critAge: Interval?

    func validate() throws {
        if let warn = warnAge, let crit = critAge, warn.seconds > crit.seconds {
            throw ValidationError("--warn-age is longer than --crit-age")
        }
        if onPremOnly && cloudOnly { throw ValidationError("--on-prem-only and --cloud-only exclude each other") }
        if connection.forest && cloudOnly { throw ValidationError("--forest reads the forest's domains from a DC; it excludes --cloud-only") }
        if allDcs && cloudOnly { throw ValidationError("--all-dcs reads the DCs; it excludes --cloud-only") }
    }

    func run() async throws {
        try await reportingErrors(output) {
            let readCloud = !onPremOnly && (cloudOnly || tenant.tenantName() != nil || entra.isEntra)
            let entraClient = readCloud && entra.isEntra ? try entra.client(tenant) : nil  // EntraOptions.swift
            let context = try await CommandContext(connection, tenant: readCloud && !entra.isEntra ? .required(tenant) : .none, directory: !cloudOnly)
            let (client, showRaw, allDcs, multiple) = (context.tenant, entra.showRawResponse, allDcs, context.targets.count > 1)
            let thresholds = Monitoring.Thresholds(warnAge: warnAge?.seconds, critAge: critAge?.seconds)
            return try await context.forEachDomain(output, monitoring: "get", thresholds: thresholds) { session in
                let domain = session.domain
                // Both sides at once: the cloud read runs while the DC is bound and searched.
                async let cloudRead: CloudRead? = CloudReader.read(tenant: client, entra: entraClient, domain: domain.value, showRaw: showRaw)
                var onPrem: OnPremKerberosServer?
                var uri: String?
                var dcs: [DCKeyState]?
                if session.readsDirectory {
                    let ldap = try await session.connect()
                    uri = ldap.configuration.uri
                    onPrem = try await OnPremReader(connection: ldap, domain: domain).read()
                    if allDcs, let account = onPrem?.userAccount {
                        dcs = try await DomainControllers.keyVersions(
                            connection: ldap, objects: KerberosServerObjects(domain: domain), accountDN: account,
                            connectedDC: onPrem?.server, connectToDC: session.connectToDC)
                    } else if allDcs {
                        dcs = []
                    }
                }
                // When the cloud fails after the DC answered, the on-prem half is still printed,
                // with the cloud's error beside it (and its exit code).
                var cloud: CloudRead?
                var cloudFailure: GetReport.CloudFailure?
                do {
                    cloud = try await cloudRead
                } catch where onPrem != nil {
                    cloudFailure = GetReport.CloudFailure(status: ExitStatus(error), message: errorMessage(error))
                    Terminal.writeErr("aadkerb: error: \(multiple ? "\(domain.value): " : "")\(errorMessage(error))")
                }
                var report = GetReport(domain: domain.value, onPrem: onPrem, uri: uri, cloudRead: readCloud, cloud: cloud?.value)
                report.cloudSource = readCloud ? (entraClient != nil ? EntraOptions.experimentalNote : "tenant-api") : nil
                report.cloudElements = cloud?.elements
                report.domainControllers = dcs
                report.cloudFailure = cloudFailure
                var result = DomainResult(report, table: report.table, status: report.exitStatus)
                result.monitor = report.monitorSample
                return result
            }
        }
    }
}

/// The `get` result as printed: JSON keys are the PowerShell cmdlet's property names (schema
/// version 1, docs/json-output.md); every key is always present, null when unknown or not read.
struct GetReport: Encodable {
    let domain: String
    let onPrem: OnPremKerberosServer?
    let uri: String?
    let cloudRead: Bool
    let cloud: KerberosDomain?
    /// With --all-dcs: the key version each writable DC holds.
    var domainControllers: [DCKeyState]?
    /// The cloud read failed after the DC answered: the on-prem half stands, the cloud's is unknown.
    var cloudFailure: CloudFailure?
    /// Where the cloud side came from (null when not read): "tenant-api", or the Entra sync
    /// service with its experimental note (EntraOptions.swift).
    var cloudSource: String?
    /// With --cloud entra: every element the service returned, path -> text.
    var cloudElements: [(String, String)]?

    struct CloudFailure: Encodable {
        let status: ExitStatus
        let message: String
        enum CodingKeys: String, CodingKey { case Error, ExitCode, Message }
        /// As an error object: {"Error", "ExitCode", "Message"} (docs/exit-codes.md).
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(status.name, forKey: .Error)
            try c.encode(status.rawValue, forKey: .ExitCode)
            try c.encode(message, forKey: .Message)
        }
    }

    /// DCs that answered with another key version than the DC that was read, or did not answer.
    var laggingDCs: [DCKeyState] {
        (domainControllers ?? []).filter { $0.error != nil || $0.kvno != onPrem?.kvno }
    }

    var comparison: KerberosServerComparison? {
        guard cloudRead, cloudFailure == nil, let onPrem else { return nil }
        return KerberosServerComparison(onPrem: onPrem, cloud: cloud)
    }

    /// What -o nagios / prometheus read (Monitoring).
    var monitorSample: MonitorSample {
        var sample = MonitorSample(domain: domain, command: "get")
        sample.onPremStatus = onPrem?.status
        sample.syncStatus = comparison?.status
        sample.keyUpdatedOn = onPrem?.keyUpdatedOn
        sample.keyVersion = onPrem?.keyVersion
        sample.kvno = onPrem?.kvno
        sample.cloudKeyVersion = cloud?.keyVersion
        sample.cloudKvno = cloud?.currentKey?.kvno
        if cloudRead && cloudFailure == nil { sample.rotationPending = cloud?.rotation != nil }
        if domainControllers != nil { sample.laggingDCs = laggingDCs.count }
        if let cloudFailure { sample.error = (cloudFailure.status, cloudFailure.message) }
        return sample
    }

    var exitStatus: ExitStatus {
        if let cloudFailure { return cloudFailure.status }
        // a DC that does not hold the key the others hold (yet) is drift too
        if !laggingDCs.isEmpty, onPrem?.status == .configured, comparison == nil || comparison?.status == .inSync { return .drifted }
        if let comparison {
            switch comparison.status {
            case .inSync: return .success
            case .drifted: return .drifted
            case .notConfigured: return .notConfigured
            case .incomplete, .missingInCloud, .missingOnPrem: return .incomplete
            }
        }
        if let onPrem { return ExitStatus(onPrem.status) }
        return cloud == nil ? .notConfigured : .success  // --cloud-only
    }

    enum CodingKeys: String, CodingKey {
        case SchemaVersion, Status, Server, DomainController, DomainDnsName, Id, UserAccount, ComputerAccount,
             DisplayName, KeyVersion, Kvno, KeyUpdatedOn, KeyUpdatedFrom, KeyUpdatedFromInvocationId,
             ServiceConnectionPoint, Problems,
             CloudId, CloudDomainDnsName, CloudDisplayName, CloudKeyVersion, CloudKeyUpdatedOn, CloudKeyUpdatedFrom,
             CloudKeyKvno, CloudPreviousKeyKvno, CloudRotation, CloudError, SyncStatus, Comparison, DomainControllers,
             CloudSource, CloudElements
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(1, forKey: .SchemaVersion)
        try c.encode(onPrem?.status.rawValue, forKey: .Status)
        try c.encode(uri, forKey: .Server)
        try c.encode(onPrem?.server, forKey: .DomainController)
        try c.encode(domain, forKey: .DomainDnsName)
        try c.encode(onPrem?.id, forKey: .Id)
        try c.encode(onPrem?.userAccount, forKey: .UserAccount)
        try c.encode(onPrem?.computerAccount, forKey: .ComputerAccount)
        try c.encode(onPrem?.displayName, forKey: .DisplayName)
        try c.encode(onPrem?.keyVersion, forKey: .KeyVersion)
        try c.encode(onPrem?.kvno, forKey: .Kvno)
        try c.encode(onPrem?.keyUpdatedOn, forKey: .KeyUpdatedOn)
        try c.encode(onPrem?.keyUpdatedFrom, forKey: .KeyUpdatedFrom)
        try c.encode(onPrem?.keyUpdatedFromInvocationID, forKey: .KeyUpdatedFromInvocationId)
        try c.encode(onPrem?.serviceConnectionPoint, forKey: .ServiceConnectionPoint)
        try c.encode(onPrem?.problems ?? [], forKey: .Problems)
        try c.encode(cloud?.id, forKey: .CloudId)
        try c.encode(cloud?.domainDnsName, forKey: .CloudDomainDnsName)
        try c.encode(cloud?.displayName, forKey: .CloudDisplayName)
        try c.encode(cloud?.keyVersion, forKey: .CloudKeyVersion)
        try c.encode(cloud?.keyUpdatedOn, forKey: .CloudKeyUpdatedOn)
        try c.encode(cloud?.keyUpdatedFrom, forKey: .CloudKeyUpdatedFrom)
        try c.encode(cloud?.currentKey?.kvno, forKey: .CloudKeyKvno)
        try c.encode(cloud?.previousKey?.kvno, forKey: .CloudPreviousKeyKvno)
        struct Lease: Encodable { let Holder, StartedOn, ExpiresOn: String; let FromKvno: Int64 }
        try c.encode(cloud?.rotation.map { Lease(Holder: $0.holder, StartedOn: $0.startedOn, ExpiresOn: $0.expiresOn, FromKvno: $0.fromKvno) },
                     forKey: .CloudRotation)
        try c.encode(cloudFailure, forKey: .CloudError)
        try c.encode(cloudSource, forKey: .CloudSource)
        try c.encode(cloudElements.map { Dictionary($0, uniquingKeysWith: { first, _ in first }) }, forKey: .CloudElements)
        try c.encode(comparison?.status.rawValue, forKey: .SyncStatus)
        try c.encode(comparison.map { Dictionary(uniqueKeysWithValues: $0.pairs.map { ($0.name, $0.verdict.rawValue) }) },
                     forKey: .Comparison)
        struct DC: Encodable {
            let Name: String, Kvno: Int64?, Error: String?
            enum CodingKeys: CodingKey { case Name, Kvno, Error }
            /// Every key, null when unknown (the synthesized encoder would leave nil keys out).
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(Name, forKey: .Name)
                try c.encode(Kvno, forKey: .Kvno)
                try c.encode(Error, forKey: .Error)
            }
        }
        try c.encode(domainControllers.map { $0.map { DC(Name: $0.name, Kvno: $0.kvno, Error: $0.error) } }, forKey: .DomainControllers)
    }

    var table: String {
        var t = KeyValueTable()
        t.add("DomainDnsName", domain)
        if let onPrem {
            t.add("Status", onPrem.status.rawValue)
            t.add("DomainController", onPrem.server.map { "\($0) (\(uri ?? ""))" } ?? uri)
            t.add("Id", onPrem.id.map(String.init))
            t.add("UserAccount", onPrem.userAccount)
            t.add("ComputerAccount", onPrem.computerAccount)
            t.add("DisplayName", onPrem.displayName)
            t.add("KeyVersion", onPrem.keyVersion.map(String.init))
            t.add("Kvno", onPrem.kvno.map(String.init))
            t.add("KeyUpdatedOn", onPrem.keyUpdatedOn.map(JSON.iso8601))
            t.add("KeyUpdatedFrom", onPrem.keyUpdatedFrom ?? onPrem.keyUpdatedFromInvocationID.map { "unknown DC, invocationId \($0)" })
            t.add("ServiceConnectionPoint", onPrem.serviceConnectionPoint)
        }
        if let cloudSource, cloudSource != "tenant-api" { t.add("CloudSource", cloudSource) }
        if let cloudFailure {
            t.add("CloudError", cloudFailure.message)
        } else if cloudRead {
            t.add("CloudId", cloud.map { String($0.id) })
            t.add("CloudDomainDnsName", cloud?.domainDnsName)
            t.add("CloudDisplayName", cloud?.displayName)
            t.add("CloudKeyVersion", cloud.map { String($0.keyVersion) })
            t.add("CloudKeyUpdatedOn", cloud?.keyUpdatedOn)
            t.add("CloudKeyUpdatedFrom", cloud?.keyUpdatedFrom)
            t.add("CloudKeyKvno", cloud?.currentKey.map { current in
                cloud?.previousKey.map { "\(current.kvno) (previous \($0.kvno))" } ?? String(current.kvno)
            })
        }
        if let comparison { t.add("SyncStatus", comparison.status.rawValue) }
        for dc in domainControllers ?? [] {
            t.add("DC \(dc.name)", dc.error.map { "not read: \($0)" } ?? "Kvno \(dc.kvno.map(String.init) ?? "-")\(dc.kvno == onPrem?.kvno ? "" : " (differs)")")
        }
        var text = t.rendered
        if let comparison {
            let differing = comparison.pairs.filter { $0.verdict != .match }
            if !differing.isEmpty, comparison.status == .drifted {
                text += "\n\nDrift:\n" + differing.map { "  - \($0.name): on-prem \($0.onPrem ?? "-"), cloud \($0.cloud ?? "-")" }.joined(separator: "\n")
            }
        }
        if let onPrem, onPrem.status == .notConfigured, cloud == nil {
            text += "\n\nNo Azure AD Kerberos server is configured in \(domain)."
        } else if let onPrem, !onPrem.problems.isEmpty {
            text += "\n\nProblems:\n" + onPrem.problems.map { "  - \($0)" }.joined(separator: "\n")
        }
        if let cloud, cloud.currentKey == nil {
            text += "\n\nNote: the tenant holds no key for \(domain) yet; SyncStatus compares the metadata pairs only."
        }
        if let lease = cloud?.rotation {
            text += "\n\nA rotation is unfinished: started \(lease.startedOn) by \(lease.holder) from kvno \(lease.fromKvno) (lease until \(lease.expiresOn)). Run aadkerb rotate to finish it."
        }
        if cloudRead, cloudFailure == nil, cloud == nil, onPrem?.status != .notConfigured {
            text += "\n\nThe tenant has no KerberosDomain for \(domain)."
        }
        return text
    }
}
