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

            On a terminal it asks first; scripts must pass --yes. --dry-run lists what would go.
            """)

    @OptionGroup var connection: DomainOptions
    @OptionGroup var tenant: TenantOptions
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
            let targets = try connection.targets()
            if !dryRun && !yes {
                let names = targets.map(\.domain.value).joined(separator: ", ")
                try confirm("Remove the Azure AD Kerberos server of \(names) (on-prem objects\(tenant.tenantName() != nil ? " and the cloud object" : ""))? [y/N] ")
            }
            let cloud = tenant.tenantName() != nil ? TenantStore(client: try tenant.client()) : nil
            let credentials = try connection.credentials()
            let dryRun = dryRun
            return try await PerDomain.run(targets, format: output.output) { target in
                let ldap = try await target.connect(credentials)
                let steps = try await KerberosServerSetter(connection: ldap, domain: target.domain, cloud: cloud, dryRun: dryRun).remove()
                let report = StepsReport(command: "remove", domain: target.domain.value, dryRun: dryRun, steps: steps,
                                         notes: cloud == nil ? ["the cloud side was not touched (no --tenant)"] : [])
                return DomainResult(report, table: report.table, status: .success)
            }
        }
    }

    private func confirm(_ question: String) throws {
        guard isatty(STDIN_FILENO) == 1 else {
            throw CLIError.usage("not on a terminal: pass --yes to remove without asking")
        }
        Terminal.writeErr(question.trimmingCharacters(in: .newlines))
        let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased()
        guard answer == "y" || answer == "yes" else { throw CLIError(status: .failure, message: "not removed") }
    }
}
