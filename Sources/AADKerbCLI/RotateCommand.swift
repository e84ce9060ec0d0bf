import AADKerbCore
import ArgumentParser
import Foundation
import DNSClient
import LDAPClient

struct RotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Rotate the Azure AD Kerberos server key on both sides (like Set-AzureADKerberosServer -RotateServerKey); safe for cron.",
        discussion: """
            The DC makes the new key (it does for every krbtgt account); aadkerb reads it as a \
            replicating DC would and publishes it to the tenant, sealed to the tenant's public key. \
            The order keeps the tenant's current key among the keys every DC accepts (current or \
            previous) at every instant, and a re-run after any failure finishes the job without \
            making a third key. The new key is published only once every writable DC of the \
            directory holds it, so that a ticket the cloud issues is accepted by every DC: when \
            --wait runs out first, nothing is published, the lease is handed on and the run exits \
            18 (pending), naming the DCs that lag; the next run publishes once they have \
            replicated. While it waits it prints each DC's key version on stderr every 2 s (on a \
            terminal, or with -v). docs/rotation.md has the state machine.

            Non-interactive. Two runs against one domain cannot interleave: the first takes a lease \
            on the tenant object (If-Match), the second is refused.

            Exit codes: 0 rotated (or an interrupted rotation completed, or the tenant's key \
            repaired); 6 not due (--min-age); 7 refused (within the ticket lifetime of the last \
            rotation, or another run holds the lease); 18 pending (a writable DC does not hold the \
            new key yet: nothing published; run again later); 3/5 nothing or not everything \
            configured (run aadkerb set); 10-17 as for get; 64 bad usage.

            \(Manual.helpFooter("rotate"))
            """)

    @OptionGroup var connection: DomainOptions
    @OptionGroup var tenant: TenantOptions
    @OptionGroup var cloud: WriteCloudOptions  // refuses --cloud entra (EntraOptions.swift)
    @OptionGroup var output: OutputOptions

    @Option(help: ArgumentHelp("Rotate only when the current key is at least this old, e.g. 30d, 12h, 90m.", valueName: "age"))
    var minAge: Interval?

    @Option(help: ArgumentHelp("Kerberos ticket lifetime of the domain: a second rotation within it (plus --clock-skew) is refused without --force.", valueName: "duration"))
    var ticketLifetime: Interval = Interval(seconds: 10 * 3600)

    @Option(help: ArgumentHelp("Allowed clock skew, added to --ticket-lifetime.", valueName: "duration"))
    var clockSkew: Interval = Interval(seconds: 300)

    @Option(help: ArgumentHelp("How long to wait for every writable DC to hold the new key; when it runs out first, nothing is published (exit 18, pending). 0: check once, do not wait.", valueName: "duration"))
    var wait: Interval = Interval(seconds: 120)

    @Option(help: ArgumentHelp("How long this run's lease on the tenant object keeps other runs off; after it, a run may take over.", valueName: "duration"))
    var lease: Interval = Interval(seconds: 900)

    @Flag(help: "Rotate even within the ticket lifetime of the last rotation: tickets issued under the key before it stop working.")
    var force = false

    @Flag(help: "Take over the lease of another run that has not expired yet (only when that run is known to be dead).")
    var breakLease = false

    @Flag(help: "Print what would be done and change nothing.")
    var dryRun = false

    @Option(help: ArgumentHelp("Also ask DNS (_ldap._tcp.dc._msdcs.<domain> SRV) at this server (IPv4 or IPv6) and report a DC it names that the directory does not list, as not trusted: rotate waits for the directory's writable DCs and signs in to no other host.", valueName: "ip"))
    var dnsServer: String?

    func validate() throws {
        if tenant.tenantName() == nil {
            throw ValidationError("rotate changes both sides: give --tenant (or AADKERB_TENANT) and the tenant sign-in options")
        }
    }

    func run() async throws {
        try await reportingErrors(output) {
            let context = try await CommandContext(connection, tenant: .required(tenant))
            guard let cloud = context.cloud else { throw ValidationError("rotate changes both sides: give --tenant") }  // validate() said so
            var policy = RotationPolicy()
            policy.minimumAge = minAge?.seconds
            policy.ticketLifetime = ticketLifetime.seconds + clockSkew.seconds
            policy.force = force
            policy.breakLease = breakLease
            policy.leaseDuration = lease.seconds
            policy.dryRun = dryRun
            policy.convergenceTimeout = wait.seconds
            let dnsServer = dnsServer
            // per-DC progress while waiting, every round (2 s), on a terminal or with -v
            let showProgress = isatty(STDERR_FILENO) == 1 || output.verbose > 0
            return try await context.forEachDomain(output) { [policy] session in
                let target = session.target
                var policy = policy
                if let dnsServer {  // only to report DNS's extra names: the directory's list is what is asked
                    policy.dnsDCs = ((try? await SRVLookup.query("_ldap._tcp.dc._msdcs.\(target.domain.value)", server: dnsServer,
                                                                 domain: target.domain.value)) ?? []).map(\.target)
                }
                let ldap = try await session.connect()
                var rotator = KeyRotator(connection: ldap, domain: target.domain, cloud: cloud, keyReader: try await session.keyReader(ldap),
                                         policy: policy, connectToDC: session.connectToDC)
                if showProgress {
                    let domain = target.domain.value
                    rotator.progress = { states in Terminal.writeErr("aadkerb: \(domain): waiting for the DCs: " + RotationReport.progressLine(states)) }
                }
                let result = try await rotator.run()
                let report = RotationReport(domain: target.domain.value, dryRun: policy.dryRun, result: result)
                return DomainResult(report, table: report.table, status: report.exitStatus)
            }
        }
    }
}

/// A duration on the command line: `30d`, `12h`, `90m`, `45s`, or combined (`1d12h`); `0` alone.
/// A number without a unit is a usage error.
struct Interval: ExpressibleByArgument, Sendable {
    let seconds: TimeInterval
    init(seconds: TimeInterval) { self.seconds = seconds }

    init?(argument: String) {
        var total: TimeInterval = 0
        var digits = ""
        for ch in argument.lowercased() {
            if ch.isASCII && ch.isNumber { digits.append(ch); continue }
            guard let n = Double(digits) else { return nil }
            switch ch {
            case "s": total += n
            case "m": total += n * 60
            case "h": total += n * 3600
            case "d": total += n * 86400
            default: return nil
            }
            digits = ""
        }
        // a number without a unit is refused (was `--min-age 30` thirty days or thirty seconds?), but 0
        if !digits.isEmpty {
            guard Double(digits) == 0, argument.allSatisfy({ $0 == "0" }) else { return nil }
        }
        guard !argument.isEmpty else { return nil }
        seconds = total
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

/// `rotate`'s output; JSON schema 1 (docs/json-output.md).
struct RotationReport: Encodable {
    let domain: String
    let dryRun: Bool
    let result: RotationResult

    /// One line of the wait's progress: each DC and the kvno it holds (or why it was not read).
    static func progressLine(_ states: [DCKeyState]) -> String {
        states.map { s in
            "\(s.name) " + (!s.trusted ? "not trusted" : s.converged ? "ok (kvno \(s.kvno.map(String.init) ?? "?"))"
                : s.error.map { "not read: \($0)" } ?? "kvno \(s.kvno.map(String.init) ?? "?"), not yet")
        }.joined(separator: "; ")
    }

    var exitStatus: ExitStatus {
        switch result.outcome {
        case .rotated, .completed, .repaired: return .success
        case .pending: return .pending
        case .skipped: return .notDue
        case .refused: return .refused
        }
    }

    enum CodingKeys: String, CodingKey { case SchemaVersion, Command, DomainDnsName, DryRun, Outcome, Reason, Before, After, DomainControllers, Steps }
    enum StateKeys: String, CodingKey { case Kvno, KeyVersion, KeyUpdatedOn, CloudKeyKvno }
    enum DCKeys: String, CodingKey { case Name, Trusted, Kvno, Converged, Error }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(1, forKey: .SchemaVersion)
        try c.encode("rotate", forKey: .Command)
        try c.encode(domain, forKey: .DomainDnsName)
        try c.encode(dryRun, forKey: .DryRun)
        try c.encode(result.outcome.rawValue, forKey: .Outcome)
        try c.encode(result.reason.text(dryRun: result.dryRun), forKey: .Reason)
        func state(_ s: RotationResult.KeyState?, _ key: CodingKeys) throws {
            guard let s else { try c.encodeNil(forKey: key); return }
            var o = c.nestedContainer(keyedBy: StateKeys.self, forKey: key)
            try o.encode(s.kvno, forKey: .Kvno)
            try o.encode(s.keyVersion, forKey: .KeyVersion)
            try o.encode(s.keyUpdatedOn.map(JSON.iso8601), forKey: .KeyUpdatedOn)
            try o.encode(s.cloudKvno, forKey: .CloudKeyKvno)
        }
        try state(result.before, .Before)
        try state(result.after, .After)
        var dcs = c.nestedUnkeyedContainer(forKey: .DomainControllers)
        for dc in result.domainControllers {
            var o = dcs.nestedContainer(keyedBy: DCKeys.self)
            try o.encode(dc.name, forKey: .Name)
            try o.encode(dc.trusted, forKey: .Trusted)
            try o.encode(dc.kvno, forKey: .Kvno)
            try o.encode(dc.converged, forKey: .Converged)
            try o.encode(dc.error, forKey: .Error)
        }
        try c.encode(result.steps, forKey: .Steps)
    }

    var table: String {
        var t = KeyValueTable()
        t.add("DomainDnsName", domain)
        t.add("Outcome", dryRun ? "\(result.outcome.rawValue) (dry run, nothing changed)" : result.outcome.rawValue)
        t.add("Reason", result.reason.text(dryRun: result.dryRun))
        t.add("KeyVersion", [result.before.keyVersion, result.after?.keyVersion].compactMap { $0 }.map(String.init).joined(separator: " -> "))
        t.add("Kvno", [result.before.kvno, result.after?.kvno].compactMap { $0 }.map(String.init).joined(separator: " -> "))
        t.add("CloudKeyKvno", [result.before.cloudKvno, result.after?.cloudKvno].map { $0.map(String.init) ?? "none" }
            .prefix(result.after == nil ? 1 : 2).joined(separator: " -> "))
        for dc in result.domainControllers {
            t.add("DC \(dc.name)", dc.error.map { "not confirmed: \($0)" } ?? "kvno \(dc.kvno.map(String.init) ?? "?")\(dc.converged ? "" : " (not yet)")")
        }
        var text = t.rendered
        if dryRun && !result.steps.isEmpty {
            text += "\n\nWould do:\n" + result.steps.map(\.line).joined(separator: "\n")
        }
        return text
    }
}
