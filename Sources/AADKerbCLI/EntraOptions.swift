import ArgumentParser
import EntraSync
import Foundation
import Basics
import TenantAPI
import TenantClient

/// Which cloud `get` reads: the tenant API (default) or, experimental and read-only, the real
/// Entra Connect sync web service (docs/entra.md).
enum CloudKind: String, ExpressibleByArgument, CaseIterable {
    case tenant
    case entra
}

/// `get --cloud entra`: the real service, signed in with the same credential options as the
/// tenant API (--tenant, --authority, --client-id, --client-certificate/--client-key,
/// --device-code, --access-token-file), tokens for the Azure AD Graph resource.
struct EntraOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Which cloud to read: tenant (the tenant API) or entra (the real Entra Connect sync service; experimental, read-only).", valueName: "tenant|entra"))
    var cloud: CloudKind = .tenant

    @Option(name: .long, help: ArgumentHelp("With --cloud entra: the sync service's URL. Default: the public cloud's.", valueName: "url"))
    var entraUrl: String?

    @Flag(name: .long, help: "With --cloud entra: print the service's decoded answers on stderr, tokens and secrets removed (to report what the service says).")
    var showRawResponse = false

    /// Microsoft's first-party public client of the Azure AD PowerShell module: it may ask
    /// Azure AD Graph for a person's token with the device code flow in any tenant without an
    /// app registration or admin consent (docs/entra.md says why, and how to use your own).
    static let defaultPublicClientID = "1b730954-1685-4b74-9bfd-dac224a7b894"

    static let experimentalNote = "entra (experimental: response format inferred)"

    var isEntra: Bool { cloud == .entra }

    func validate() throws {
        if cloud != .entra && (entraUrl != nil || showRawResponse) {
            throw ValidationError("--entra-url and --show-raw-response go with --cloud entra")
        }
    }

    func client(_ tenant: TenantOptions, env: [String: String] = ProcessHardening.environment) throws -> EntraSyncClient {
        let config = try Config.current()
        let url: URL
        if let raw = entraUrl {
            guard let u = URL(string: raw), u.scheme == "https", u.host != nil else { throw CLIError.usage("--entra-url must be an https:// URL") }
            url = u
        } else {
            url = EntraEndpoint.defaultServiceURL
        }
        let authorityRaw = tenant.authority ?? config.authority ?? EntraEndpoint.defaultAuthority.absoluteString
        guard let authority = URL(string: authorityRaw), authority.scheme == "https" else { throw CLIError.usage("--authority must be an https:// URL") }
        guard tenant.tenantTimeout > 0, (0...10).contains(tenant.tenantRetries) else {
            throw CLIError.usage("--tenant-timeout must be positive and --tenant-retries 0...10")
        }
        let clientId = tenant.clientId ?? env["AADKERB_CLIENT_ID"]
        let credentials: TenantCredentials
        if let file = tenant.accessTokenFile {
            credentials = .accessToken(try TenantOptions.readSecretFile(file, what: "access token"))
        } else if let token = env["AADKERB_ACCESS_TOKEN"], !token.isEmpty {
            credentials = .accessToken(Secret(token))
        } else if tenant.clientCertificate != nil || tenant.clientKey != nil {
            // unattended: an application's token (whether the service accepts one is unknown)
            guard let id = clientId, let certificate = tenant.clientCertificate, let key = tenant.clientKey else {
                throw CLIError.usage("--client-certificate and --client-key go together, with --client-id")
            }
            credentials = try TenantOptions.clientCertificate(clientID: id, certificate: certificate, key: key)
        } else if let id = clientId, let file = tenant.clientSecretFile, !tenant.deviceCode {
            credentials = .clientSecret(clientID: id, secret: try TenantOptions.readSecretFile(file, what: "client secret"))
        } else {
            // the default for people: device code (works under MFA)
            credentials = .deviceCode(clientID: clientId ?? Self.defaultPublicClientID)
        }
        let tenantName = tenant.tenantName(env) ?? "organizations"
        return EntraSyncClient(
            endpoint: EntraEndpoint(serviceURL: url, tenant: tenantName, authority: authority,
                                    timeout: .milliseconds(Int64(tenant.tenantTimeout * 1000)), maxRetries: tenant.tenantRetries),
            credentials: credentials,
            prompt: { Terminal.writeErr("aadkerb: \($0)") })
    }
}

/// What `get` shows of the cloud side, from either source.
struct CloudRead: Sendable {
    var value: KerberosDomain?
    /// With --cloud entra: every element GetKerberosDomain returned (path, text).
    var elements: [(String, String)]?
    var source: String
}

enum CloudReader {
    static func read(tenant: TenantClient?, entra: EntraSyncClient?, domain: String, showRaw: Bool) async throws -> CloudRead? {
        if let tenant {
            return CloudRead(value: try await tenant.get(domain: domain)?.value, elements: nil, source: "tenant-api")
        }
        guard let entra else { return nil }
        let read = try await entra.getKerberosDomain(domain)
        if showRaw {
            for raw in read.rawResponses {
                Terminal.writeErr("aadkerb: \(domain): Entra sync service answer (decoded, secrets removed):\n\(raw)")
            }
        }
        guard let object = read.value else { return CloudRead(value: nil, elements: [], source: EntraOptions.experimentalNote) }
        do {
            return CloudRead(value: try object.kerberosDomain(requested: domain), elements: object.elements, source: EntraOptions.experimentalNote)
        } catch {
            throw EntraError.make(kind: .protocolError, endpoint: "GetKerberosDomain", status: 200, detail: "\(error)")
        }
    }
}

/// `set`, `rotate` and `remove` write: they refuse `--cloud entra` (the service's writes are not
/// public), and say so before anything is read or written.
struct WriteCloudOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Only tenant: writes go through the tenant API (--cloud entra is read-only, for get).", valueName: "tenant"))
    var cloud: CloudKind = .tenant

    func validate() throws {
        if cloud == .entra {
            throw ValidationError("--cloud entra is read-only and experimental: only get reads the Entra sync service; set, rotate and remove write through the tenant API (nothing public describes the service's writes)")
        }
    }
}
