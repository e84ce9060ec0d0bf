import AADKerbCore
import ArgumentParser
import Foundation

struct RemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove the Azure AD Kerberos server of a domain (like Remove-AzureADKerberosServer).",
        discussion: """
            Deletes the tenant's KerberosDomain (with --tenant), the CN=AzureAD container with its \
            service connection point (tree delete), the read-only DC computer object and the krbtgt \
            account. What is already gone is skipped, so removing twice succeeds.

            On a terminal it first lists the objects that exist and would be deleted (on-prem and, \
            with --tenant, the cloud object), then asks; any answer but y/yes exits 20 (declined) \
            and changes nothing. Scripts must pass --yes. --dry-run lists what would go.

            \(Manual.helpFooter("remove"))
            """)

    @OptionGroup var connection: DomainOptions
    @OptionGroup var tenant: TenantOptions
    @OptionGroup var cloud: WriteCloudOptions  // refuses --cloud entra (EntraOptions.swift)
    @OptionGroup var output: OutputOptions

    @Flag(help: "Print what would be deleted and change nothing.")
    var dryRun = false

    @Flag(help: "Do not ask for confirmation (needed when not on a terminal).")
    var yes = false

    func validate() throws {
        if connection.forest { throw ValidationError("remove takes no --forest: name each domain to remove with --domain") }
    }

    func run() async throws {
        try await reportingErrors(output) {
            _ = try connection.targets()  // a bad domain, server or CA file is said before the terminal check
            if !dryRun && !yes, isatty(STDIN_FILENO) != 1 {
                throw CLIError.usage("not on a terminal: pass --yes to remove without asking")
            }
            let context = try await CommandContext(connection, tenant: .ifNamed(tenant))
            let cloud = context.cloud
            if !dryRun && !yes {
                // the prompt names what exists and would go, as --dry-run finds it
                var lines: [String] = []
                for session in context.sessions {
                    let ldap = try await session.connect()
                    let plan = try await KerberosServerSetter(connection: ldap, domain: session.domain, cloud: cloud, dryRun: true).remove()
                    lines.append("\(session.domain.value) (\(ldap.configuration.uri)):")
                    lines += plan.isEmpty ? ["  nothing to remove"] : plan.map { step in
                        "  \(step.side == .cloud ? "cloud  " : "on-prem") \(step.object)\(step.detail.isEmpty ? "" : " (\(step.detail))")"
                    }
                }
                if cloud == nil { lines.append("The cloud side is not touched (no --tenant).") }
                Terminal.writeErr("This deletes:\n" + lines.joined(separator: "\n"))
                guard ask("Remove these objects? [y/N] ") else {
                    // a decision, not an error: one plain line and exit 20 (docs/exit-codes.md)
                    Terminal.writeErr("aadkerb: not removed: nothing was changed")
                    return .declined
                }
            }
            let dryRun = dryRun
            return try await context.forEachDomain(output) { session in
                let ldap = try await session.connect()
                let steps = try await KerberosServerSetter(connection: ldap, domain: session.domain, cloud: cloud, dryRun: dryRun).remove()
                let report = StepsReport(command: .remove, domain: session.domain.value, dryRun: dryRun, steps: steps,
                                         notes: cloud == nil ? ["the cloud side was not touched (no --tenant)"] : [])
                return DomainResult(report, table: report.table, status: .success)
            }
        }
    }

    private func ask(_ question: String) -> Bool {
        Terminal.writeErr(question.trimmingCharacters(in: .newlines))
        let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased()
        return answer == "y" || answer == "yes"
    }
}
