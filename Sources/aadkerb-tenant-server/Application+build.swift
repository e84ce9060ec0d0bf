import ArgumentParser
import Foundation
import Hummingbird
import HummingbirdTLS
import NIOSSL

/// What the server is built from: the command line (TenantServer), or a test's own values.
protocol AppArguments {
    var host: String { get }
    var port: Int { get }
    var tlsCert: String { get }
    var tlsKey: String { get }
    var data: String { get }
    var clients: String { get }
    var tokenLifetime: Int { get }
    var issuer: String? { get }
    var deviceCodeInterval: Int { get }
    var deviceCodeLifetime: Int { get }
    var enableFaultInjection: Bool { get }
    var emulatorSecretFile: String? { get }
    var signingKeyRotationDays: Int { get }
    var rotateSigningKey: Bool { get }
    var tokenRequestsPerMinute: Int { get }
}

/// The application, as Hummingbird's template builds one: the store, keys and clients it needs,
/// the router (`buildRouter`), and an HTTPS-only server (TLS 1.2 or later).
func buildApplication(_ arguments: some AppArguments) async throws -> some ApplicationProtocol {
    let api = try await buildAPI(arguments)
    var tls = TLSConfiguration.makeServerConfiguration(
        certificateChain: try NIOSSLCertificate.fromPEMFile(arguments.tlsCert).map { .certificate($0) },
        privateKey: .privateKey(try NIOSSLPrivateKey(file: arguments.tlsKey, format: .pem)))
    tls.minimumTLSVersion = .tlsv12
    let (host, port) = (arguments.host, arguments.port)
    return Application(
        router: buildRouter(api),
        server: try .tls(.http1(), tlsConfiguration: tls),
        configuration: .init(address: .hostname(host, port: port), serverName: "aadkerb-tenant-server"),
        onServerRunning: { _ in
            FileHandle.standardError.write(Data("aadkerb-tenant-server: listening on https://\(host):\(port)\n".utf8))
        })
}

/// Every route of the server, in one place. Each part registers its routes with one call; a new
/// endpoint is one more such call here (before the last line).
func buildRouter(_ api: TenantAPIServer) -> Router<TenantRequestContext> {
    let router = Router(context: TenantRequestContext.self)
    router.get("/healthz") { _, _ in "ok" }
    // The tenant API: injected faults first (tests only), then problem+json for whatever a route
    // throws; under /v1/tenants/:tenant also the bearer token's verification.
    let tenantAPI = router.group()
        .add(middleware: FaultInjectionMiddleware(faults: api.faults))
        .add(middleware: ProblemMiddleware())
    api.addOAuthRoutes(to: tenantAPI)
    api.addDomainRoutes(to: tenantAPI.group("/v1/tenants/:tenant").add(middleware: BearerTokenMiddleware(tokens: api.tokens)))
    api.addEmulatorRoutes(to: router)
    api.registerEntraSync(router)  // EntraSyncEndpoint.swift: the Entra sync service's two reads
    // Last: it wraps only what no route above answered (the router's not-found responder), and
    // knows every route registered above (405 with Allow for a known path, else 404).
    router.add(middleware: MethodNotAllowedMiddleware(routes: RouteTable(router.routes)))
    return router
}

/// The handlers' state from the arguments: the data directory (0700, created if missing), the
/// store, the master key, the token signing keys, the registered clients, the emulator's secret.
func buildAPI(_ arguments: some AppArguments) async throws -> TenantAPIServer {
    let data = arguments.data
    try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true,
                                            attributes: [.posixPermissions: 0o700])
    try SecureFile.checkMode(data, allowed: 0o700)
    for file in ["tenant.sqlite", "tenant.sqlite-wal", "tenant.sqlite-shm"] { try SecureFile.checkMode(data + "/" + file, allowed: 0o600) }
    let store = try Store(path: data + "/tenant.sqlite")
    let vault = try KeyVault(dataDirectory: data, store: store)
    let signing = try await SigningKeys.load(store: store, vault: vault, rotation: TimeInterval(arguments.signingKeyRotationDays) * 86400,
                                             tokenLifetime: TimeInterval(arguments.tokenLifetime), rotateNow: arguments.rotateSigningKey)
    let registry = try JSONDecoder().decode(ClientRegistry.self, from: Data(contentsOf: URL(fileURLWithPath: arguments.clients)))
    var emulatorSecret: [UInt8]?
    if let file = arguments.emulatorSecretFile {
        guard let bytes = try SecureFile.read(file), bytes.count >= 16 else {
            throw ValidationError("\(file) must hold a secret of at least 16 bytes")
        }
        emulatorSecret = Array(bytes.prefix { $0 != 0x0a && $0 != 0x0d })
    }
    return TenantAPIServer(
        store: store,
        tokens: await TokenIssuer(keys: signing.keys, currentKid: signing.current,
                                  issuerBase: arguments.issuer ?? "https://\(arguments.host):\(arguments.port)",
                                  lifetime: TimeInterval(arguments.tokenLifetime)),
        clients: registry,
        faults: arguments.enableFaultInjection ? Faults() : nil,
        deviceCodes: DeviceCodes(interval: arguments.deviceCodeInterval, lifetime: TimeInterval(arguments.deviceCodeLifetime)),
        vault: vault,
        emulatorSecret: emulatorSecret,
        limiter: RateLimiter(perMinute: arguments.tokenRequestsPerMinute))
}
