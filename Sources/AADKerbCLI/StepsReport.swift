import AADKerbCore
import Foundation
import TenantAPI
import TenantClient
import LDAPClient
import Basics

/// The tenant client as the core's cloud store.
struct TenantStore: KerberosDomainStore {
    let client: TenantClient
    func read(domain: String) async throws -> (KerberosDomain, etag: String)? {
        try await client.get(domain: domain).map { ($0.value, $0.etag) }
    }
    func write(_ value: KerberosDomain, ifMatch: String?, newKey: (key: Secret, kvno: Int64)?) async throws -> String {
        do {
            return try await client.put(value, ifMatch: ifMatch, newKey: newKey).etag
        } catch let error as TenantError where error.kind == .preconditionFailed || error.kind == .conflict {
            throw StoreConflict(error.description)
        }
    }
    func remove(domain: String) async throws -> Bool { try await client.delete(domain: domain) }
}

/// What `set` and `remove` print: the steps taken (or, with --dry-run, planned). JSON schema 1:
/// {"SchemaVersion", "Command", "DomainDnsName", "DryRun", "Changed", "Steps": [{"Side", "Action", "Object", "Detail"}], "Notes"}.
struct StepsReport: Encodable {
    /// The command that made the steps: its name in JSON, and what "no steps" means.
    enum Command {
        case set, remove
        case policy(String)

        var name: String {
            switch self {
            case .set: "set"
            case .remove: "remove"
            case let .policy(name): name
            }
        }
        func nothingToDo(_ domain: String) -> String {
            switch self {
            case .set: "Nothing to do: the Azure AD Kerberos server of \(domain) is complete."
            case .remove: "Nothing to remove: no Azure AD Kerberos server objects in \(domain)."
            case .policy: "Nothing to change: the reveal policy of \(domain) is already so."
            }
        }
    }
    let command: Command
    let domain: String
    let dryRun: Bool
    let steps: [Step]
    let notes: [String]

    enum CodingKeys: String, CodingKey { case SchemaVersion, Command, DomainDnsName, DryRun, Changed, Steps, Notes }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(1, forKey: .SchemaVersion)
        try c.encode(command.name, forKey: .Command)
        try c.encode(domain, forKey: .DomainDnsName)
        try c.encode(dryRun, forKey: .DryRun)
        try c.encode(!dryRun && !steps.isEmpty, forKey: .Changed)
        try c.encode(steps, forKey: .Steps)
        try c.encode(notes, forKey: .Notes)
    }

    var table: String {
        var lines: [String] = []
        if steps.isEmpty {
            lines.append(command.nothingToDo(domain))
        } else {
            lines.append(dryRun ? "Would do (dry run, nothing changed):" : "Done:")
            lines += steps.map(\.line)
        }
        lines += notes.map { "Note: \($0)" }
        return lines.joined(separator: "\n")
    }
}

/// A step in JSON (`{"Side", "Action", "Object", "Detail"}`) and in a table.
extension Step: Encodable {
    enum Keys: String, CodingKey { case Side, Action, Object, Detail }

    public func encode(to encoder: any Encoder) throws {
        var o = encoder.container(keyedBy: Keys.self)
        try o.encode(side.rawValue, forKey: .Side)
        try o.encode(action, forKey: .Action)
        try o.encode(object, forKey: .Object)
        try o.encode(detail, forKey: .Detail)
    }

    var line: String { "  \(side.rawValue)  \(action)  \(object)\n      \(detail)" }
}
