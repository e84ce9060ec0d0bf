import AADKerbCore
import Foundation
import LDAPClient
import TenantClient

/// What a command resolves once per run, before any domain is worked on, in this order: the
/// tenant client (its sign-in options are checked first, so a bad tenant option fails before a
/// password prompt), the domain account (the password is read once, for every domain), and the
/// domains with the DC to ask for each (with --forest, found through the DC of the one given).
/// SwiftPM's `SwiftCommandState` plays this part for its commands.
///
/// Each domain then runs concurrently with a `DomainSession` (`forEachDomain`), which connects
/// to its DC, to the domain's other DCs and to its key reader the same way for every command.
struct CommandContext: Sendable {
    /// nil for `get --cloud-only`, which reads no directory.
    let credentials: DomainCredentials?
    let targets: [DomainTarget]
    /// The tenant API client, when the command was given a tenant and uses it.
    let tenant: TenantClient?
    /// --forest: the output is an array even for one domain.
    let forest: Bool

    /// The tenant as the core's cloud store.
    var cloud: TenantStore? { tenant.map { TenantStore(client: $0) } }

    /// Whether the command talks to the tenant.
    enum TenantUse {
        case none
        /// When a tenant is named (--tenant, AADKERB_TENANT or the config file).
        case ifNamed(TenantOptions)
        /// Always: no tenant named is a usage error.
        case required(TenantOptions)
    }

    /// `directory: false` reads no credentials and resolves no forest (`get --cloud-only`).
    init(_ connection: DomainOptions, tenant use: TenantUse = .none, directory: Bool = true) async throws {
        switch use {
        case .none: tenant = nil
        case let .ifNamed(options): tenant = options.tenantName() != nil ? try options.client() : nil
        case let .required(options): tenant = try options.client()
        }
        forest = connection.forest
        guard directory else {
            credentials = nil
            targets = try connection.targets()
            return
        }
        let credentials = try connection.credentials()
        self.credentials = credentials
        targets = try await connection.resolvedTargets(credentials)
    }

    /// A session per domain, in the order given (for work done one domain after the other, as
    /// `remove`'s confirmation prompt).
    var sessions: [DomainSession] { targets.map { DomainSession(target: $0, credentials: credentials) } }

    /// Runs `body` for every domain, concurrently (`PerDomain`: one domain's failure does not
    /// stop the others, the output keeps the order given, the exit codes combine). `monitoring`:
    /// the command's name when it has --output nagios/prometheus.
    func forEachDomain(_ output: OutputOptions, monitoring command: String? = nil, thresholds: Monitoring.Thresholds = .init(),
                       _ body: @escaping @Sendable (DomainSession) async throws -> DomainResult) async throws -> ExitStatus {
        let credentials = credentials
        return try await PerDomain.run(targets, format: output.output, alwaysArray: forest, command: command, thresholds: thresholds) { target in
            try await body(DomainSession(target: target, credentials: credentials))
        }
    }
}

/// One domain of a run: its DC, and the same account for the DC, for the domain's other DCs and
/// for reading keys over DRSUAPI.
struct DomainSession: Sendable {
    let target: DomainTarget
    /// nil only for `get --cloud-only`.
    let credentials: DomainCredentials?

    var domain: DomainName { target.domain }

    /// Whether this run reads the directory (it does unless `get --cloud-only`).
    var readsDirectory: Bool { credentials != nil }

    /// Connects to the domain's DC, checks that it serves the domain, and binds.
    func connect() async throws -> LDAPConnection {
        try await target.connect(try account())
    }

    /// Another DC of the domain that the directory lists, reached as the first and signed in to
    /// with the same account (credentials never go to a host that only DNS named).
    var connectToDC: @Sendable (DirectoryDC) async throws -> any DirectoryConnection {
        { [target, credentials] dc in
            guard let credentials else { throw Self.noAccount }
            return try await target.otherDC(dc).connect(credentials)
        }
    }

    /// Where the keys the DC made are read: DRSUAPI from the DC `connected` is bound to.
    func keyReader(_ connected: LDAPConnection) async throws -> any AccountKeyReader {
        try await KeyReaders.forDC(target, connected: connected, credentials: try account())
    }

    func account() throws -> DomainCredentials {
        guard let credentials else { throw Self.noAccount }
        return credentials
    }

    private static let noAccount = CLIError(status: .failure, message: "internal: this run reads no directory (--cloud-only) and has no domain account")
}
