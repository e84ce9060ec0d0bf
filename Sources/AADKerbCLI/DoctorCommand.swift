import AADKerbCore
import ArgumentParser
import Foundation
import LDAPClient

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check a domain's Azure AD Kerberos server end to end and say how to fix what is wrong.",
        discussion: """
            Read-only checks, each printed with its verdict and a fix: the DC's clock against this \
            host's (Kerberos allows 5 minutes), the three objects present and consistent, the reveal \
            policy denying every privileged group, the key's age, an AES-256 key held by the DC \
            (read as a replicating DC would: NTLM with --user, or Kerberos with --kerberos), the key version on every \
            writable DC, and with --tenant: the tenant reachable and the client authorised, the \
            cloud object in sync and holding the DC's key, no rotation left unfinished.

            With --sign-in USER (repeatable), one more check does what `aadkerb verify` does: the \
            user's partial TGT (from the tenant with --tenant, else minted here from the DC's key) \
            exchanged at every writable DC; it fails when a DC refuses it.

            Exit codes (for monitoring): 0 every check passed; 8 warnings only; 9 at least one \
            check failed; 64 bad usage.

            \(Manual.helpFooter("doctor"))
            """)

    @OptionGroup var connection: DomainOptions
    @OptionGroup var tenant: TenantOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("sign-in"), help: ArgumentHelp("Also sign this user in as the cloud would (aadkerb verify); repeat for several.", valueName: "user"))
    var signIn: [String] = []

    @Option(help: ArgumentHelp("Warn when the key is older than this, e.g. 90d.", valueName: "age"))
    var maxKeyAge: Interval = Interval(seconds: 180 * 86400)

    func run() async throws {
        try await reportingErrors(output) {
            let context = try await CommandContext(connection, tenant: .ifNamed(tenant))
            let (client, cloud, signIn, maxKeyAge) = (context.tenant, context.cloud, signIn, maxKeyAge.seconds)
            return try await context.forEachDomain(output, monitoring: Self._commandName) { session in
                let target = session.target
                var checks: [DoctorCheck]
                do {
                    let ldap = try await session.connect()
                    let reader = try? await session.keyReader(ldap)
                    var doctor = Doctor(connection: ldap, domain: target.domain, cloud: cloud, keyReader: reader, connectToDC: session.connectToDC)
                    doctor.maximumKeyAge = maxKeyAge
                    checks = [DoctorCheck("connect", .pass, "bound to \(target.configuration.uri)")] + (await doctor.run())
                    if !signIn.isEmpty {
                        do {
                            checks.append(try await SignInCheck.run(session, ldap: ldap, client: client,
                                                                    users: signIn, timeout: .seconds(10)).doctorCheck)
                        } catch {
                            checks.append(DoctorCheck("sign-in", .fail, "\(error)", fix: .advice("run aadkerb verify for the details")))
                        }
                    }
                } catch {
                    checks = [DoctorCheck("connect", .fail, "\(error)", fix: .advice(FailureHint.fix(for: error)))]
                }
                let report = DoctorReport(domain: target.domain.value, checks: checks)
                var result = DomainResult(report, table: report.table, status: report.exitStatus)
                var sample = MonitorSample(domain: report.domain, command: "doctor")
                sample.checks = Dictionary(grouping: report.checks, by: \.status).mapValues(\.count)
                sample.failedChecks = report.checks.filter { $0.status == .fail }.map(\.name)
                sample.warnedChecks = report.checks.filter { $0.status == .warn }.map(\.name)
                result.monitor = sample
                return result
            }
        }
    }
}

/// `doctor`'s output. JSON schema 1: {"SchemaVersion", "Command", "DomainDnsName", "Result",
/// "Checks": [{"Name", "Status", "Detail", "Fix"}]}.
struct DoctorReport: Encodable {
    let domain: String
    let checks: [DoctorCheck]

    var result: DoctorCheck.Status { checks.map(\.status).max() ?? .pass }

    var exitStatus: ExitStatus {
        switch result {
        case .pass, .skipped: return .success
        case .warn: return .checksWarned
        case .fail: return .checksFailed
        }
    }

    enum CodingKeys: String, CodingKey { case SchemaVersion, Command, DomainDnsName, Result, Checks }
    enum CheckKeys: String, CodingKey { case Name, Status, Detail, Fix }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(1, forKey: .SchemaVersion)
        try c.encode("doctor", forKey: .Command)
        try c.encode(domain, forKey: .DomainDnsName)
        try c.encode(result == .skipped ? DoctorCheck.Status.pass.rawValue : result.rawValue, forKey: .Result)
        var list = c.nestedUnkeyedContainer(forKey: .Checks)
        for check in checks {
            var o = list.nestedContainer(keyedBy: CheckKeys.self)
            try o.encode(check.name, forKey: .Name)
            try o.encode(check.status.rawValue, forKey: .Status)
            try o.encode(check.detail, forKey: .Detail)
            try o.encode(check.fix?.text, forKey: .Fix)
        }
    }

    var table: String {
        let width = checks.map(\.name.count).max() ?? 0
        var lines = checks.map { check in
            "\(check.status.rawValue.uppercased().padding(toLength: 7, withPad: " ", startingAt: 0)) "
                + check.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + check.detail
                + (check.fix.map { "\n" + String(repeating: " ", count: 8 + width + 2) + "fix: " + $0.text } ?? "")
        }
        let failed = checks.filter { $0.status == .fail }.count, warned = checks.filter { $0.status == .warn }.count
        lines.append("\n\(domain): \(failed) failed, \(warned) warning(s), \(checks.count - failed - warned) passed or skipped")
        return lines.joined(separator: "\n")
    }
}
