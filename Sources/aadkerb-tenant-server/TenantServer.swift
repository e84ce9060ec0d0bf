import ArgumentParser
import Foundation
import Hummingbird

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
    @Option(help: "Seconds a device code stays valid; expired codes are dropped whether polled or not.") var deviceCodeLifetime = 900
    @Flag(help: "Serve /_emulator/faults and /_emulator/device for tests (loopback --host only; needs --emulator-secret-file).") var enableFaultInjection = false
    @Option(help: ArgumentHelp("File (mode 0600) with the secret the /_emulator routes require in X-Emulator-Secret.", valueName: "file"))
    var emulatorSecretFile: String?
    @Option(help: "Days a token signing key signs before a new one takes over (the old one verifies until its tokens expire).")
    var signingKeyRotationDays = 30
    @Flag(help: "Make a new token signing key now.") var rotateSigningKey = false
    @Option(help: "Token requests (and device code polls) a client may make per minute before 429.") var tokenRequestsPerMinute = 60

    func validate() throws {
        if enableFaultInjection {
            guard emulatorSecretFile != nil else { throw ValidationError("--enable-fault-injection needs --emulator-secret-file") }
            guard host.hasPrefix("127.") || host == "::1" || host == "localhost" else {
                throw ValidationError("--enable-fault-injection serves unauthenticated test routes: only on a loopback --host, not \(host)")
            }
        }
    }

    func run() async throws {
        // every file the server makes is its own alone (master key, database, WAL, keys)
        umask(0o077)
        try await buildApplication(self).runService()
    }
}

extension TenantServer: AppArguments {}
