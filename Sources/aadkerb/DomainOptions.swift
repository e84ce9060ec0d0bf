import AADKerbCore
import ArgumentParser
import Foundation
import LDAPClient

/// How to reach and authenticate to the domain's DC: shared by every command that touches AD DS.
struct DomainOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The AD DS domain's DNS name, e.g. contoso.corp.com.", valueName: "dns-name"))
    var domain: String

    @Option(name: .long, help: ArgumentHelp(
        "LDAP URI of a DC of the domain: ldaps://host (TLS, port 636) or ldap://host (StartTLS on 389). Default: ldaps://<domain>.",
        valueName: "uri"))
    var server: String?

    @Option(name: .long, help: ArgumentHelp(
        "PEM file of CA certificates to trust for the DC's certificate (default: the system's). Certificates are always verified.",
        valueName: "file"))
    var caFile: String?

    @Option(name: .long, help: ArgumentHelp(
        "Account to bind as: user@domain, DOMAIN\\user, a DN, or a bare name (taken as name@<domain>). Also AADKERB_DOMAIN_USER.",
        valueName: "name"))
    var user: String?

    @Option(name: .long, help: ArgumentHelp(
        "Read the password from this file (first line). Keep it mode 0600.", valueName: "file"))
    var passwordFile: String?

    @Flag(name: .long, help: "Read the password from standard input (first line).")
    var passwordStdin = false

    @Flag(name: .long, help: "Bind with SASL GSSAPI from the Kerberos credential cache (kinit first; KRB5CCNAME). Needs --server with the DC's host name; with ldap:// the connection is signed and sealed by Kerberos instead of StartTLS.")
    var kerberos = false

    @Flag(name: .long, help: ArgumentHelp(
        "With an ldap:// server and a password, do not StartTLS: the password would travel in the clear. Only to diagnose; AD refuses such a bind."))
    var noStarttls = false

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for the TCP connection and TLS handshake.", valueName: "seconds"))
    var connectTimeout: Double = 10

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for each LDAP operation.", valueName: "seconds"))
    var timeout: Double = 30

    func validate() throws {
        if passwordStdin && passwordFile != nil {
            throw ValidationError("--password-stdin and --password-file exclude each other")
        }
        if kerberos && (passwordStdin || passwordFile != nil) {
            throw ValidationError("--kerberos uses the credential cache; it takes no password")
        }
        if noStarttls, let server, server.lowercased().hasPrefix("ldaps://") {
            throw ValidationError("--no-starttls applies to ldap:// servers; an ldaps:// server always uses TLS")
        }
        if kerberos && server == nil {
            throw ValidationError("--kerberos needs --server naming a DC by its host name (the service principal is ldap/<host>)")
        }
        guard connectTimeout > 0, timeout > 0 else { throw ValidationError("timeouts must be positive") }
        guard !(server?.contains(where: { $0 == " " || $0 == "\n" }) ?? false) else {
            throw ValidationError("--server must be one URI")
        }
    }

    func domainName() throws -> DomainName { try DomainName(domain) }

    func ldapConfiguration(for domain: DomainName) -> LDAPConfiguration {
        let uri = server ?? "ldaps://\(domain.value)"
        // With --kerberos on ldap://, SASL GSSAPI signs and seals the connection itself (as
        // Windows tools do on port 389); AD refuses sign/seal inside TLS.
        let security: LDAPConfiguration.Security = uri.lowercased().hasPrefix("ldaps://")
            ? .ldaps : (noStarttls || kerberos ? .none : .startTLS)
        return LDAPConfiguration(
            uri: uri, security: security, caFile: caFile,
            connectTimeout: .milliseconds(Int64(connectTimeout * 1000)),
            operationTimeout: .milliseconds(Int64(timeout * 1000)))
    }

    func credentials(for domain: DomainName, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> LDAPCredentials {
        if kerberos { return .gssapi }
        guard let rawUser = user ?? environment["AADKERB_DOMAIN_USER"], !rawUser.isEmpty else {
            throw CLIError.usage("no account: give --user (or AADKERB_DOMAIN_USER), or --kerberos")
        }
        // A bare name is qualified with the domain, as Windows does for the current domain.
        let bindName = rawUser.contains("@") || rawUser.contains("\\") || rawUser.contains("=")
            ? rawUser : "\(rawUser)@\(domain.value)"
        let password = try PasswordSource.read(
            file: passwordFile, stdin: passwordStdin, environment: environment, prompt: "Password for \(bindName): ")
        return .simple(bindName: bindName, password: password)
    }

    /// Connects and binds; warns on stderr when a simple bind would go out unencrypted.
    func connect() async throws -> (DomainName, LDAPConnection) {
        let domain = try domainName()
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw CLIError.unreadable("cannot read the CA file \(caFile)")
        }
        let credentials = try self.credentials(for: domain)
        let configuration = ldapConfiguration(for: domain)
        if configuration.security == .none, case .simple = credentials {
            Terminal.writeErr("aadkerb: warning: --no-starttls with a password sends it unencrypted to \(configuration.uri)")
        }
        let connection = try await LDAPConnection.open(configuration)
        try await connection.bind(credentials)
        return (domain, connection)
    }
}
