import AADKerbCore
import ArgumentParser
import EndpointProbe
import Foundation
import LDAPClient
import Basics

/// How to reach and authenticate to the domain's DC: shared by every command that touches AD DS.
struct DomainOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The AD DS domain's DNS name, e.g. contoso.corp.com. Repeat for several domains: they are processed concurrently, each with its own result.",
        valueName: "dns-name"), completion: .custom { _, _, prefix in DomainOptions.configuredDomains(prefix) })
    var domain: [String] = []

    /// The domains named in the config file's [domains."..."] tables, for shell completion.
    static func configuredDomains(_ prefix: String) -> [String] {
        ((try? Config.current())?.domains.keys.sorted() ?? []).filter { $0.hasPrefix(prefix.lowercased()) }
    }

    @Option(name: .long, help: ArgumentHelp(
        "A DC of the domain: ldaps://host (TLS, port 636), ldap://host (StartTLS on 389), or a bare host or address (ldaps:// to it). Default: ldaps://<domain>. With several --domain, give one --server per --domain, in the same order.",
        valueName: "uri"))
    var server: [String] = []

    @Option(name: .long, help: ArgumentHelp(
        "PEM file of CA certificates to trust for the DC's certificate (default: the system's). Certificates are always verified.",
        valueName: "file"), completion: .file())
    var caFile: String?

    @Option(name: .long, help: ArgumentHelp(
        "Account to bind as: user@domain, DOMAIN\\user, a DN, or a bare name (taken as name@<domain>). Also AADKERB_DOMAIN_USER.",
        valueName: "name"))
    var user: String?

    @Option(name: .long, help: ArgumentHelp(
        "Read the password from this file (first line). Keep it mode 0600.", valueName: "file"), completion: .file())
    var passwordFile: String?

    @Flag(name: .long, help: "Read the password from standard input (first line).")
    var passwordStdin = false

    @Flag(name: .long, help: "Bind with SASL GSSAPI from the Kerberos credential cache (kinit first; KRB5CCNAME). Needs --server with the DC's host name; the connection is ldap://, signed and sealed by Kerberos instead of TLS (an ldaps:// server is reached as ldap:// on the same host: AD refuses sign/seal inside TLS). set --tenant, rotate and doctor then read the DC's key over DRSUAPI with Kerberos too (needs a TGT).")
    var kerberos = false

    @Flag(name: .long, help: ArgumentHelp(
        "With an ldap:// server and a password, do not StartTLS: the password would travel in the clear. Only to diagnose; AD refuses such a bind."))
    var noStarttls = false

    @Flag(help: "Every domain of the forest of --domain (crossRef objects under CN=Partitions,CN=Configuration), concurrently; JSON is then always an array. Other domains' DCs: the config file's [domains.\"<name>\"] server, else ldaps://<domain>.")
    var forest = false

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for connecting: TCP, StartTLS and the TLS handshake.", valueName: "seconds"))
    var connectTimeout: Double = 10

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for each LDAP operation.", valueName: "seconds"))
    var timeout: Double = 30

    func validate() throws {
        if domain.isEmpty { throw ValidationError("give the domain: --domain <dns-name>") }
        if !server.isEmpty && server.count != domain.count {
            throw ValidationError("give one --server per --domain, in the same order (\(domain.count) domains, \(server.count) servers)")
        }
        if Set(domain.map { $0.lowercased() }).count != domain.count { throw ValidationError("a --domain is given twice") }
        if forest && domain.count != 1 { throw ValidationError("--forest takes one --domain: a domain of the forest to start from") }
        if passwordStdin && passwordFile != nil {
            throw ValidationError("--password-stdin and --password-file exclude each other")
        }
        if kerberos && (passwordStdin || passwordFile != nil) {
            throw ValidationError("--kerberos uses the credential cache; it takes no password")
        }
        if noStarttls, server.contains(where: { $0.lowercased().hasPrefix("ldaps://") }) {
            throw ValidationError("--no-starttls applies to ldap:// servers; an ldaps:// server always uses TLS")
        }
        guard connectTimeout > 0, timeout > 0 else { throw ValidationError("timeouts must be positive") }
        guard !server.contains(where: { $0.contains(where: { $0 == " " || $0 == "\n" }) }) else {
            throw ValidationError("--server must be one URI")
        }
    }

    /// The domains to work on, each with the DC to ask, in the order given. Defaults for the
    /// server and CA file come from the config file's [domains."<name>"] table, then its top level.
    func targets() throws -> [DomainTarget] {
        let config = try Config.current()
        var checked: Set<String> = []
        return try domain.enumerated().map { index, name in
            let domain = try DomainName(name)
            let serverURI = server.isEmpty ? config.domain(domain.value)?.server : server[index]
            let ca = caFile ?? config.domain(domain.value)?.caFile ?? config.caFile
            // before any connection: a directory, junk or an empty file is named as such (66);
            // each file once (parsing a CA bundle was 18% of a 16-domain get's CPU when repeated)
            if let ca, checked.insert(ca).inserted {
                do { try CAFile.check(ca) } catch let problem as CAFile.Problem { throw CLIError.unreadable(problem.description) }
            }
            if try useKerberos(), serverURI == nil {
                throw CLIError.usage("Kerberos needs the DC's host name for \(domain.value): --server ldap://<host>, or server in the config file's [domains.\"\(domain.value)\"]")
            }
            return DomainTarget(domain: domain, configuration: try ldapConfiguration(for: domain, server: serverURI, caFile: ca, kerberos: try useKerberos()))
        }
    }

    /// The domains to work on: `targets()`, or with --forest every domain of the forest, found
    /// through the DC of the one --domain given.
    func resolvedTargets(_ credentials: DomainCredentials) async throws -> [DomainTarget] {
        let given = try targets()
        guard forest, let first = given.first else { return given }
        let names = try await Forest.domainNames(connection: try await first.connect(credentials))
        guard !names.isEmpty else {
            throw CLIError(status: .failure, message: "\(first.configuration.uri) lists no domain in CN=Partitions (no enabled crossRef with systemFlags 3)")
        }
        let config = try Config.current()
        return try names.map { name in
            if name == first.domain.value { return first }
            let domain = try DomainName(name)
            let ca = caFile ?? config.domain(name)?.caFile ?? config.caFile
            return DomainTarget(domain: domain, configuration: try ldapConfiguration(for: domain, server: config.domain(name)?.server, caFile: ca,
                                                                                  kerberos: try useKerberos()))
        }
    }

    /// --kerberos, or `kerberos = true` in the config file when no password source is given here.
    func useKerberos() throws -> Bool {
        if kerberos { return true }
        return try Config.current().kerberos && user == nil && passwordFile == nil && !passwordStdin
    }

    /// The LDAP URI for a --server value: a bare host or address (as adcli's -S takes it) means
    /// ldaps:// to it; with Kerberos, ldap:// (SASL GSSAPI seals the connection; AD refuses
    /// sign/seal inside TLS, so ldaps:// with Kerberos becomes ldap:// to the same host).
    static func serverURI(_ server: String, kerberos: Bool) throws -> String {
        let lower = server.lowercased()
        guard lower.contains("://") else {
            guard !server.isEmpty, !server.contains("/") else { throw CLIError.usage("--server \(server) is neither a host nor an ldap:// or ldaps:// URI") }
            return (kerberos ? "ldap://" : "ldaps://") + server
        }
        guard lower.hasPrefix("ldap://") || lower.hasPrefix("ldaps://") else {
            throw CLIError.usage("--server \(server): the scheme must be ldaps:// (TLS) or ldap:// (StartTLS, or Kerberos sealing)")
        }
        guard kerberos, lower.hasPrefix("ldaps://") else { return server }
        let host = String(server.dropFirst("ldaps://".count)).split(separator: "/").first.map(String.init) ?? ""
        // ldaps://host:port names a TLS port; Kerberos needs the LDAP port: say which URI to give
        if host.hasPrefix("[") ? host.contains("]:") : host.contains(":") {
            throw CLIError.usage("--kerberos seals ldap:// itself and AD refuses sign/seal inside TLS: give --server ldap://<host>:<ldap port> instead of \(server)")
        }
        return "ldap://" + host
    }

    func ldapConfiguration(for domain: DomainName, server: String?, caFile: String? = nil, kerberos: Bool? = nil) throws -> LDAPConfiguration {
        let kerberos = kerberos ?? self.kerberos
        let uri = try server.map { try Self.serverURI($0, kerberos: kerberos) } ?? "ldaps://\(domain.value)"
        // With --kerberos on ldap://, SASL GSSAPI signs and seals the connection itself (as
        // Windows tools do on port 389); AD refuses sign/seal inside TLS.
        let security: LDAPConfiguration.Security = uri.lowercased().hasPrefix("ldaps://")
            ? .ldaps : (noStarttls || kerberos ? .none : .startTLS)
        return LDAPConfiguration(
            uri: uri, security: security, caFile: caFile ?? self.caFile,
            connectTimeout: .milliseconds(Int64(connectTimeout * 1000)),
            operationTimeout: .milliseconds(Int64(timeout * 1000)))
    }

    /// Reads the password once (a prompt, a file or standard input), for every domain of the run.
    func credentials(environment: [String: String] = ProcessHardening.environment) throws -> DomainCredentials {
        let config = try Config.current()
        if try useKerberos() { return .gssapi }
        guard let user = user ?? environment["AADKERB_DOMAIN_USER"] ?? config.user, !user.isEmpty else {
            throw CLIError.usage("no account: give --user (or AADKERB_DOMAIN_USER, or user in the config file), or --kerberos")
        }
        // command line, then the environment's password, then the config file's password-file
        let file = passwordFile ?? (passwordStdin || environment[PasswordSource.environmentVariable] != nil ? nil : config.passwordFile)
        let shown = domain.count == 1 ? DomainCredentials.bindName(user, in: domain[0]) : user
        let password = try PasswordSource.read(
            file: file, stdin: passwordStdin, environment: environment, prompt: "Password for \(shown): ")
        return .simple(user: user, password: password)
    }
}

/// One domain of a run and the DC to ask.
struct DomainTarget: Sendable {
    let domain: DomainName
    let configuration: LDAPConfiguration

    /// Another DC of the same domain, reached the same way (scheme, CA, timeouts). Only a DC the
    /// directory lists: credentials never go to a host that DNS alone named.
    func otherDC(_ dc: DirectoryDC) -> DomainTarget {
        var c = configuration
        c.uri = (c.uri.lowercased().hasPrefix("ldaps://") ? "ldaps://" : "ldap://") + dc.name
        return DomainTarget(domain: domain, configuration: c)
    }

    /// Connects and binds; warns on stderr when a simple bind would go out unencrypted.
    func connect(_ credentials: DomainCredentials) async throws -> LDAPConnection {
        let bind = credentials.ldap(for: domain)
        if configuration.security == .none, case .simple = bind {
            Terminal.writeErr("aadkerb: warning: --no-starttls with a password sends it unencrypted to \(configuration.uri)")
        }
        let connection = try await LDAPConnection.open(configuration)
        // which domain the server serves, before any credential goes to it (the root DSE is
        // readable anonymously): a DC of another domain is exit 16, not a failed bind
        if let root = try? await connection.rootDSE(attributes: ["defaultNamingContext"]), root.string("defaultNamingContext") != nil {
            try OnPremReader.checkDomain(root, objects: KerberosServerObjects(domain: domain), uri: configuration.uri)
        }
        try await connection.bind(bind)
        return connection
    }
}

/// The domain account, read once per run.
enum DomainCredentials: Sendable {
    case gssapi
    case simple(user: String, password: Secret)

    /// A bare name is qualified with the domain, as Windows does for the current domain.
    static func bindName(_ user: String, in domain: String) -> String {
        user.contains("@") || user.contains("\\") || user.contains("=") ? user : "\(user)@\(domain)"
    }

    func ldap(for domain: DomainName) -> LDAPCredentials {
        switch self {
        case .gssapi: return .gssapi
        case let .simple(user, password): return .simple(bindName: Self.bindName(user, in: domain.value), password: password)
        }
    }
}
