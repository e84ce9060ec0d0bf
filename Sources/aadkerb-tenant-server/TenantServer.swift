import ArgumentParser
import Foundation
import Hummingbird
import HummingbirdTLS
import NIOSSL
import OpenSSLSupport

@main
struct TenantServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aadkerb-tenant-server",
        abstract: "The aadkerb tenant API reference server: KerberosDomain objects over HTTPS with OAuth2 tokens.",
        discussion: """
            An emulator of the cloud side (docs/tenant-api.md), as Azurite is for Azure Storage: \
            HTTPS only, client-credentials tokens signed by the server, data in SQLite under --data.

            --clients names a JSON file: {"clients": [{"tenant": "...", "clientId": "...", \
            "secretSHA256": "<hex SHA-256 of the secret>", "roles": ["KerberosDomain.ReadWrite.All"]}]}.
            """)

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8443
    @Option(help: ArgumentHelp("PEM certificate chain of the server.", valueName: "file")) var tlsCert: String
    @Option(help: ArgumentHelp("PEM private key of the server.", valueName: "file")) var tlsKey: String
    @Option(help: ArgumentHelp("Directory for the SQLite database (created if missing).", valueName: "dir")) var data: String
    @Option(help: ArgumentHelp("JSON file of registered clients.", valueName: "file")) var clients: String
    @Option(help: "Access token lifetime in seconds.") var tokenLifetime = 3600
    @Option(help: "Base URL used as the tokens' issuer (default https://host:port).") var issuer: String?
    @Option(help: "Seconds a device code flow client must wait between polls.") var deviceCodeInterval = 5
    @Flag(help: "Serve /_emulator/faults and /_emulator/device for tests.") var enableFaultInjection = false

    func run() async throws {
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let store = try Store(path: data + "/tenant.sqlite")
        let signingKey = try await store.setting("token-signing-key") { AESGCM.randomBytes(32) }
        let registry = try JSONDecoder().decode(ClientRegistry.self, from: Data(contentsOf: URL(fileURLWithPath: clients)))
        let api = TenantAPIServer(
            store: store,
            tokens: TokenIssuer(signingKey: signingKey, issuerBase: issuer ?? "https://\(host):\(port)",
                                lifetime: TimeInterval(tokenLifetime)),
            clients: registry,
            faults: enableFaultInjection ? Faults() : nil,
            deviceCodes: DeviceCodes(interval: deviceCodeInterval),
            vault: try KeyVault(dataDirectory: data, store: store))
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(tlsCert).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: tlsKey, format: .pem)))
        let app = Application(
            router: api.router(),
            server: try .tls(.http1(), tlsConfiguration: tls),
            configuration: .init(address: .hostname(host, port: port), serverName: "aadkerb-tenant-server"),
            onServerRunning: { channel in
                FileHandle.standardError.write(Data("aadkerb-tenant-server: listening on https://\(host):\(port)\n".utf8))
            })
        try await app.runService()
    }
}
