import Basics
import ArgumentParser
import Foundation
import LDAPClient
import TenantClient

/// How to reach and authenticate to the tenant API: shared by every command that touches the cloud.
struct TenantOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Tenant (directory) id or name. Also AADKERB_TENANT. Without it, the cloud side is not read.", valueName: "id"))
    var tenant: String?

    @Option(name: .long, help: ArgumentHelp("Base URL of the tenant API (docs/tenant-api.md). Also AADKERB_TENANT_ENDPOINT.", valueName: "url"))
    var tenantEndpoint: String?

    @Option(name: .long, help: ArgumentHelp("OAuth2 authority that issues tokens: <authority>/<tenant>/oauth2/v2.0/token. Default: https://login.microsoftonline.com.", valueName: "url"))
    var authority: String?

    @Option(name: .long, help: ArgumentHelp("Application (client) id for client-credentials sign-in. Also AADKERB_CLIENT_ID.", valueName: "id"))
    var clientId: String?

    @Option(name: .long, help: ArgumentHelp("File holding the client secret (first line). Or AADKERB_CLIENT_SECRET.", valueName: "file"), completion: .file())
    var clientSecretFile: String?

    @Option(name: .long, help: ArgumentHelp("PEM certificate registered for --client-id: sign in with a certificate instead of a secret (with --client-key).", valueName: "file"), completion: .file())
    var clientCertificate: String?

    @Option(name: .long, help: ArgumentHelp("PEM private key (unencrypted, RSA) of --client-certificate. Keep it mode 0600.", valueName: "file"), completion: .file())
    var clientKey: String?

    @Flag(name: .long, help: "Sign in as a person with the device code flow (works with MFA): open the URL shown on stderr and enter the code. Needs --client-id of a public client.")
    var deviceCode = false

    @Option(name: .long, help: ArgumentHelp("File holding a ready access token. Or AADKERB_ACCESS_TOKEN.", valueName: "file"), completion: .file())
    var accessTokenFile: String?

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for each tenant API request.", valueName: "seconds"))
    var tenantTimeout: Double = 30

    @Option(name: .long, help: ArgumentHelp("Retries after HTTP 429/502/503/504 or a dropped connection.", valueName: "n"))
    var tenantRetries: Int = 3

    @Flag(name: .long, help: "Trust the tenant's key-encryption public key even though it differs from the one pinned at first use (after a real rotation of the tenant's key).")
    var acceptNewTenantKey = false

    func tenantName(_ env: [String: String] = ProcessHardening.environment) -> String? {
        tenant ?? env["AADKERB_TENANT"] ?? (try? Config.current())?.tenant
    }

    func client(_ env: [String: String] = ProcessHardening.environment) throws -> TenantClient {
        let config = try Config.current()
        // command line, then environment, then the config file
        let tenantEndpoint = self.tenantEndpoint ?? env["AADKERB_TENANT_ENDPOINT"] ?? config.tenantEndpoint
        let authority = self.authority ?? config.authority ?? "https://login.microsoftonline.com"
        let clientId = self.clientId ?? env["AADKERB_CLIENT_ID"] ?? config.clientID
        let accessTokenFile = self.accessTokenFile ?? (env["AADKERB_ACCESS_TOKEN"] != nil ? nil : config.accessTokenFile)
        let clientCertificate = self.clientCertificate ?? (self.clientSecretFile != nil ? nil : config.clientCertificate)
        let clientKey = self.clientKey ?? (self.clientSecretFile != nil ? nil : config.clientKey)
        let clientSecretFile = self.clientSecretFile ?? (env["AADKERB_CLIENT_SECRET"] != nil ? nil : config.clientSecretFile)
        guard let tenant = tenantName(env) else { throw CLIError.usage("the cloud side needs --tenant (or AADKERB_TENANT)") }
        guard let rawURL = tenantEndpoint, let api = URL(string: rawURL),
              api.scheme == "https" else {
            throw CLIError.usage("the cloud side needs --tenant-endpoint https://... (or AADKERB_TENANT_ENDPOINT)")
        }
        guard let authorityURL = URL(string: authority), authorityURL.scheme == "https" else {
            throw CLIError.usage("--authority must be an https:// URL")
        }
        if deviceCode && clientId == nil {
            throw CLIError.usage("--device-code needs --client-id of a public client")
        }
        guard tenantTimeout > 0, (0...10).contains(tenantRetries) else {
            throw CLIError.usage("--tenant-timeout must be positive and --tenant-retries 0...10")
        }
        let credentials: TenantCredentials
        if let file = accessTokenFile {
            credentials = .accessToken(try Self.readSecretFile(file, what: "access token"))
        } else if let token = env["AADKERB_ACCESS_TOKEN"], !token.isEmpty {
            credentials = .accessToken(Secret(token))
        } else if let id = clientId {
            if deviceCode {
                credentials = .deviceCode(clientID: id)
            } else if clientCertificate != nil || clientKey != nil {
                guard let certificate = clientCertificate, let key = clientKey else {
                    throw CLIError.usage("--client-certificate and --client-key go together")
                }
                credentials = try Self.clientCertificate(clientID: id, certificate: certificate, key: key)
            } else if let file = clientSecretFile {
                credentials = .clientSecret(clientID: id, secret: try Self.readSecretFile(file, what: "client secret"))
            } else if let secret = env["AADKERB_CLIENT_SECRET"], !secret.isEmpty {
                credentials = .clientSecret(clientID: id, secret: Secret(secret))
            } else {
                throw CLIError.usage("--client-id needs --client-secret-file, AADKERB_CLIENT_SECRET, or --client-certificate with --client-key")
            }
        } else {
            throw CLIError.usage("no cloud credentials: give --client-id with a secret or a certificate, --access-token-file, or AADKERB_ACCESS_TOKEN")
        }
        return TenantClient(
            endpoint: TenantEndpoint(tenant: tenant, apiURL: api, authority: authorityURL,
                                     timeout: .milliseconds(Int64(tenantTimeout * 1000)), maxRetries: tenantRetries),
            credentials: credentials,
            prompt: { Terminal.writeErr("aadkerb: \($0)") },
            pinTenantKey: { [acceptNewTenantKey] keyId in
                try TenantKeyPins(environment: env).check(api: api.absoluteString, tenant: tenant, keyId: keyId, acceptNew: acceptNewTenantKey)
            })
    }

    /// An application's certificate credentials: the certificate PEM as given, the private key
    /// read as a secret file (owner-only, zeroed after use). Shared with `--cloud entra`.
    static func clientCertificate(clientID: String, certificate: String, key: String) throws -> TenantCredentials {
        guard let pem = FileManager.default.contents(atPath: certificate) else {
            throw CLIError.unreadable("cannot read the client certificate \(certificate)")
        }
        var keyData = try SecretFile.read(key, what: "client key")
        defer { wipe(&keyData) }
        return .clientCertificate(clientID: clientID, certificatePEM: Array(pem), privateKeyPEM: Secret(bytes: keyData))
    }

    /// The first line of a secret file (token, client secret); the file's bytes are zeroed.
    static func readSecretFile(_ path: String, what: String) throws -> Secret {
        var data = try SecretFile.read(path, what: what)
        defer { wipe(&data) }
        guard let secret = PasswordSource.readFirstLine(data) else { throw CLIError.unreadable("the \(what) file \(path) is empty") }
        return secret
    }
}
