import AADKerbCore
import ArgumentParser
import Foundation
import LDAPClient

struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Show the Azure AD Kerberos server of a domain (like Get-AzureADKerberosServer).",
        discussion: """
            Reads the three on-premises objects and reports Id, UserAccount, ComputerAccount, \
            DisplayName, DomainDnsName, KeyVersion, Kvno, KeyUpdatedOn and KeyUpdatedFrom. \
            docs/fields.md says how each field is derived.

            Exit codes: 0 configured and consistent; 3 nothing configured; 5 incomplete or \
            inconsistent (the Problems list says what); 10 authentication failed; 11 access denied; \
            12 server unreachable; 13 TLS failure; 14 the server requires encryption; 15 timed out; \
            16 the server serves another domain; 64 bad usage; 66 unreadable input file.

            Examples:
              aadkerb get --domain contoso.corp.com --user admin --password-file ~/.aadkerb-pass
              aadkerb get --domain contoso.corp.com --server ldaps://dc1.contoso.corp.com --ca-file ca.pem -o json
              AADKERB_DOMAIN_PASSWORD=... aadkerb get --domain contoso.corp.com --user CONTOSO\\\\admin -o json | jq .KeyVersion
            """)

    @OptionGroup var connection: DomainOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingErrors(format: output.output) {
            let (domain, ldap) = try await connection.connect()
            let server = try await OnPremReader(connection: ldap, domain: domain).read()
            let report = GetReport(server: server, uri: ldap.configuration.uri)
            switch output.output {
            case .json: Terminal.writeOut(JSON.encode(report))
            case .table: Terminal.writeOut(report.table)
            }
            return ExitStatus(server.status)
        }
    }
}

/// The `get` result as printed: JSON keys are the PowerShell cmdlet's property names (schema
/// version 1, docs/json-output.md); every key is always present, null when unknown.
struct GetReport: Encodable {
    let server: OnPremKerberosServer
    let uri: String

    enum CodingKeys: String, CodingKey {
        case SchemaVersion, Status, Server, DomainController, DomainDnsName, Id, UserAccount, ComputerAccount,
             DisplayName, KeyVersion, Kvno, KeyUpdatedOn, KeyUpdatedFrom, KeyUpdatedFromInvocationId,
             ServiceConnectionPoint, Problems
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(1, forKey: .SchemaVersion)
        try c.encode(server.status.rawValue, forKey: .Status)
        try c.encode(uri, forKey: .Server)
        try c.encode(server.server, forKey: .DomainController)
        try c.encode(server.domainDNSName, forKey: .DomainDnsName)
        try c.encode(server.id, forKey: .Id)
        try c.encode(server.userAccount, forKey: .UserAccount)
        try c.encode(server.computerAccount, forKey: .ComputerAccount)
        try c.encode(server.displayName, forKey: .DisplayName)
        try c.encode(server.keyVersion, forKey: .KeyVersion)
        try c.encode(server.kvno, forKey: .Kvno)
        try c.encode(server.keyUpdatedOn, forKey: .KeyUpdatedOn)
        try c.encode(server.keyUpdatedFrom, forKey: .KeyUpdatedFrom)
        try c.encode(server.keyUpdatedFromInvocationID, forKey: .KeyUpdatedFromInvocationId)
        try c.encode(server.serviceConnectionPoint, forKey: .ServiceConnectionPoint)
        try c.encode(server.problems, forKey: .Problems)
    }

    var table: String {
        var t = KeyValueTable()
        t.add("DomainDnsName", server.domainDNSName)
        t.add("Status", server.status.rawValue)
        t.add("DomainController", server.server.map { "\($0) (\(uri))" } ?? uri)
        t.add("Id", server.id.map(String.init))
        t.add("UserAccount", server.userAccount)
        t.add("ComputerAccount", server.computerAccount)
        t.add("DisplayName", server.displayName)
        t.add("KeyVersion", server.keyVersion.map(String.init))
        t.add("Kvno", server.kvno.map(String.init))
        t.add("KeyUpdatedOn", server.keyUpdatedOn.map(JSON.iso8601))
        t.add("KeyUpdatedFrom", server.keyUpdatedFrom ?? server.keyUpdatedFromInvocationID.map { "unknown DC, invocationId \($0)" })
        t.add("ServiceConnectionPoint", server.serviceConnectionPoint)
        var text = t.rendered
        if server.status == .notConfigured {
            text += "\n\nNo Azure AD Kerberos server is configured in \(server.domainDNSName)."
        } else if !server.problems.isEmpty {
            text += "\n\nProblems:\n" + server.problems.map { "  - \($0)" }.joined(separator: "\n")
        }
        return text
    }
}
