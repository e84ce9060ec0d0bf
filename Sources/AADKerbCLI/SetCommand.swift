import AADKerbCore
import ArgumentParser
import Foundation

struct SetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Create or repair the Azure AD Kerberos server of a domain (like Set-AzureADKerberosServer).",
        discussion: """
            Creates what is missing and repairs what drifted, and says what it did: the disabled \
            krbtgt account (added with the RODC dcpromo control, so the DC assigns the Id and \
            krbtgt_<Id>), the read-only DC computer object (msDS-KrbTgtLink, deny-by-default \
            msDS-NeverRevealGroup), the CN=AzureAD container and its service connection point, and, \
            with --tenant, the tenant's KerberosDomain twin. A healthy domain is left unchanged. \
            docs/set-and-remove.md lists every attribute written.

            With --tenant, the tenant also gets the key the DC made for the krbtgt account: aadkerb \
            reads it from the DC as a replicating DC does (DRSUAPI, signed in with NTLM as --user, or with Kerberos for --kerberos) \
            and sends it sealed to the tenant's public key (docs/key-material.md). If the tenant's \
            key is not the DC's current key (for example after an interrupted rotation), set \
            publishes the DC's key.

            Several --domain values are handled concurrently, each with its own result; the exit \
            code combines theirs (docs/exit-codes.md).

            Exit codes: 0 done (or nothing to do); 10/11 authentication or access denied (the \
            message names the object and quotes the DC); 12-17 as for get; 64 bad usage.

            \(Manual.helpFooter("set"))
            """)

    @OptionGroup var connection: DomainOptions
    @OptionGroup var tenant: TenantOptions
    @OptionGroup var cloud: WriteCloudOptions  // refuses --cloud entra (EntraOptions.swift)
    @OptionGroup var output: OutputOptions

    @Flag(help: "Print the exact plan and change nothing.")
    var dryRun = false

    func run() async throws {
        try await reportingErrors(output) {
            let context = try await CommandContext(connection, tenant: .ifNamed(tenant))
            let (cloud, dryRun) = (context.cloud, dryRun)
            return try await context.forEachDomain(output) { session in
                let ldap = try await session.connect()
                // The tenant gets the key the DC made, read back from the DC (docs/key-material.md).
                let reader = cloud == nil ? nil : try await session.keyReader(ldap)
                let steps = try await KerberosServerSetter(connection: ldap, domain: session.domain, cloud: cloud, dryRun: dryRun,
                                                           keyReader: reader).set()
                var notes: [String] = []
                if cloud == nil { notes.append("the cloud side was not touched (no --tenant)") }
                let report = StepsReport(command: .set, domain: session.domain.value, dryRun: dryRun, steps: steps, notes: notes)
                return DomainResult(report, table: report.table, status: .success)
            }
        }
    }
}
