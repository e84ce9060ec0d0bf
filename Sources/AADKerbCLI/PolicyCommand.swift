import AADKerbCore
import ArgumentParser
import Foundation
import LDAPClient

/// `aadkerb policy show|allow|deny|explain`: the reveal policy of the AzureADKerberos object.
struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Show and edit who the cloud may issue tickets for (the password replication policy of the AzureADKerberos object).",
        discussion: """
            The Azure AD Kerberos server is modelled as a read-only DC, so the same policy applies: \
            msDS-RevealOnDemandGroup lists who is allowed, msDS-NeverRevealGroup who is denied, and \
            denial wins. aadkerb set denies the privileged groups by default (Administrators, Domain, \
            Schema and Enterprise Admins, the operators, Denied RODC Password Replication Group) and \
            allows Domain Users.

            Principals are users, groups or computers, given by sAMAccountName, user@domain, DN or SID.

            \(Manual.helpFooter("policy"))
            """,
        subcommands: [Show.self, Allow.self, Deny.self, Reset.self, Explain.self])

    static func refuseForest(_ connection: DomainOptions) throws {
        if connection.forest { throw ValidationError("policy takes no --forest: name the domain with --domain") }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "List the allowed and the denied principals.")
        @OptionGroup var connection: DomainOptions
        @OptionGroup var output: OutputOptions

        func validate() throws { try PolicyCommand.refuseForest(connection) }

        func run() async throws {
            try await reportingErrors(output) {
                let context = try await CommandContext(connection)
                return try await context.forEachDomain(output) { session in
                    let policy = try await RevealPolicyEditor(connection: try await session.connect(), domain: session.domain).read()
                    let report = PolicyReport(domain: session.domain.value, policy: policy)
                    return DomainResult(report, table: report.table, status: .success)
                }
            }
        }
    }

    struct Allow: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "allow", abstract: "Add principals to msDS-RevealOnDemandGroup (or --remove them).")
        @OptionGroup var edit: PolicyEdit
        func run() async throws { try await edit.run(.allowed, command: "policy allow") }
    }

    struct Deny: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "deny", abstract: "Add principals to msDS-NeverRevealGroup (or --remove them).")
        @OptionGroup var edit: PolicyEdit
        func run() async throws { try await edit.run(.denied, command: "policy deny") }
    }

    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset",
            abstract: "Back to aadkerb set's policy: deny the privileged groups, allow Domain Users, remove every other entry.")
        @OptionGroup var connection: DomainOptions
        @OptionGroup var output: OutputOptions
        @Flag(help: "Print what would change and change nothing.")
        var dryRun = false

        func validate() throws { try PolicyCommand.refuseForest(connection) }

        func run() async throws {
            try await reportingErrors(output) {
                let context = try await CommandContext(connection)
                let dryRun = dryRun
                return try await context.forEachDomain(output) { session in
                    let steps = try await RevealPolicyEditor(connection: try await session.connect(), domain: session.domain).reset(dryRun: dryRun)
                    let report = StepsReport(command: .policy("policy reset"), domain: session.domain.value, dryRun: dryRun, steps: steps, notes: [])
                    return DomainResult(report, table: steps.isEmpty ? "Nothing to change: the policy is aadkerb's default." : report.table, status: .success)
                }
            }
        }
    }

    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "explain",
            abstract: "Say whether the cloud may issue tickets for a user, and which group decides it.",
            discussion: "Uses the user's tokenGroups: every group it belongs to, nested and primary included. Exit 0 allowed, 7 refused (denied or not allowed).")
        @OptionGroup var connection: DomainOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The user (or computer): sAMAccountName, user@domain, DN or SID.")
        var principal: String

        func validate() throws { try PolicyCommand.refuseForest(connection) }

        func run() async throws {
            try await reportingErrors(output) {
                let context = try await CommandContext(connection)
                let principal = principal
                return try await context.forEachDomain(output) { session in
                    let why = try await RevealPolicyEditor(connection: try await session.connect(), domain: session.domain).explain(principal)
                    let report = ExplainReport(domain: session.domain.value, explanation: why)
                    return DomainResult(report, table: report.table, status: why.verdict == .allowed ? .success : .refused)
                }
            }
        }
    }
}

/// Options shared by `policy allow` and `policy deny`.
struct PolicyEdit: ParsableArguments {
    @OptionGroup var connection: DomainOptions
    @OptionGroup var output: OutputOptions
    @Flag(help: "Remove the principals from the list instead of adding them.")
    var remove = false
    @Flag(help: "Print what would change and change nothing.")
    var dryRun = false
    @Argument(help: "Users, groups or computers: sAMAccountName, user@domain, DN or SID.")
    var principals: [String]

    func validate() throws {
        if principals.isEmpty { throw ValidationError("name at least one principal") }
        try PolicyCommand.refuseForest(connection)
    }

    func run(_ list: RevealPolicy.List, command: String) async throws {
        try await reportingErrors(output) {
            let context = try await CommandContext(connection)
            let (names, remove, dryRun) = (principals, remove, dryRun)
            return try await context.forEachDomain(output) { session in
                let editor = RevealPolicyEditor(connection: try await session.connect(), domain: session.domain)
                var resolved: [RevealPolicy.Principal] = []
                for name in names { resolved.append(try await editor.resolve(name)) }
                let steps = try await editor.change(list, add: remove ? [] : resolved, remove: remove ? resolved : [], dryRun: dryRun)
                let report = StepsReport(command: .policy(command), domain: session.domain.value, dryRun: dryRun, steps: steps, notes: [])
                return DomainResult(report, table: steps.isEmpty ? "Nothing to change: the list already says so." : report.table, status: .success)
            }
        }
    }
}

struct PolicyReport: Encodable {
    let domain: String
    let policy: RevealPolicy

    struct Entry: Encodable { let Name: String; let Sid: String?; let DistinguishedName: String }
    enum CodingKeys: String, CodingKey { case SchemaVersion, DomainDnsName, Allowed, Denied }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(1, forKey: .SchemaVersion)
        try c.encode(domain, forKey: .DomainDnsName)
        try c.encode(policy.allowed.map { Entry(Name: $0.name, Sid: $0.sid, DistinguishedName: $0.dn) }, forKey: .Allowed)
        try c.encode(policy.denied.map { Entry(Name: $0.name, Sid: $0.sid, DistinguishedName: $0.dn) }, forKey: .Denied)
    }

    var table: String {
        func lines(_ list: [RevealPolicy.Principal]) -> String {
            list.isEmpty ? "  (none)" : list.map { "  \($0.name)  \($0.sid ?? "")  \($0.dn)" }.joined(separator: "\n")
        }
        return "Allowed (msDS-RevealOnDemandGroup):\n\(lines(policy.allowed))\n\nDenied (msDS-NeverRevealGroup; denial wins):\n\(lines(policy.denied))"
    }
}

struct ExplainReport: Encodable {
    let domain: String
    let explanation: RevealExplanation

    enum CodingKeys: String, CodingKey { case SchemaVersion, DomainDnsName, Principal, Sid, Verdict, DeniedBy, AllowedBy, GroupCount }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(1, forKey: .SchemaVersion)
        try c.encode(domain, forKey: .DomainDnsName)
        try c.encode(explanation.principal.dn, forKey: .Principal)
        try c.encode(explanation.principal.sid, forKey: .Sid)
        try c.encode(explanation.verdict.rawValue, forKey: .Verdict)
        try c.encode(explanation.deniedBy.map(\.name), forKey: .DeniedBy)
        try c.encode(explanation.allowedBy.map(\.name), forKey: .AllowedBy)
        try c.encode(explanation.groupCount, forKey: .GroupCount)
    }

    var table: String {
        let e = explanation
        switch e.verdict {
        case .denied:
            return "\(e.principal.name): DENIED by \(e.deniedBy.map(\.name).joined(separator: ", ")) (msDS-NeverRevealGroup; denial wins over \(e.allowedBy.isEmpty ? "no allow entry" : e.allowedBy.map(\.name).joined(separator: ", "))). Checked \(e.groupCount) groups, nested and primary included."
        case .allowed:
            return "\(e.principal.name): allowed by \(e.allowedBy.map(\.name).joined(separator: ", ")) (msDS-RevealOnDemandGroup); no deny entry matches. Checked \(e.groupCount) groups."
        case .notAllowed:
            return "\(e.principal.name): not allowed: neither list names it or any of its \(e.groupCount) groups; add it (or a group) with aadkerb policy allow."
        }
    }
}
