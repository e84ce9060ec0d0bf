import Foundation
import TestSupport
import OpenSSLSupport
import TenantAPI
import Testing

/// The reference server as a tier-0 service (security issue, items 2, 5 and 9), on an instance of
/// its own (127.0.0.43:8443), stopped afterwards: keys and files, the emulator's test routes,
/// TLS versions, rate limits, device codes nobody polls.
@Suite(.serialized) struct TenantServerHardeningTests {
    static let name = "hardening", ip = "127.0.0.43"

    func start(_ extra: String = "") async throws -> TenantServerInstance {
        let r = try await run(Paths.tenantServerScript, ["start", Self.name, Self.ip, "8443"],
                        environment: ["AADKERB_TENANT_SERVER": Paths.tenantServer.path, "AADKERB_TENANT_SERVER_ARGS": extra])
        guard r.status == 0 else { throw FixtureError("scripts/tenant-server start \(Self.name) failed: \(r.stderr)") }
        return TenantServerInstance(name: Self.name, env: parseExports(try await run(Paths.tenantServerScript, ["env", Self.name]).stdout))
    }

    func stop() async { _ = try? await run(Paths.tenantServerScript, ["stop", Self.name]) }

    /// Starts the suite's own server with `extra` arguments, runs `body`, and stops the server
    /// whatever `body` did (a `defer` cannot wait for the stop).
    func withServer(_ extra: String = "", _ body: (TenantServerInstance) async throws -> Void) async throws {
        let server = try await start(extra)
        do { try await body(server) } catch { await stop(); throw error }
        await stop()
    }

    func curl(_ server: TenantServerInstance, _ arguments: [String]) async throws -> ProcessResult {
        try await run(URL(fileURLWithPath: "/usr/bin/curl"), ["-s", "--cacert", server.env["TENANT_CA"]!] + arguments)
    }

    /// A client-credentials token, read from a curl run whose secret comes from a file (never argv).
    func token(_ server: TenantServerInstance) async throws -> String {
        let secret = try String(contentsOfFile: server.adminSecretFile, encoding: .utf8).trimmingCharacters(in: .newlines)
        let r = try await run(URL(fileURLWithPath: "/usr/bin/curl"),
                        ["-sf", "--cacert", server.env["TENANT_CA"]!, "--data-binary", "@-", server.url.absoluteString + "/contoso/oauth2/v2.0/token"],
                        stdin: "grant_type=client_credentials&client_id=admin&client_secret=\(secret)")
        try #require(r.status == 0, "\(r.stdout)\(r.stderr)")
        return try JSONDecoder().decode(TokenResponse.self, from: Data(r.stdout.utf8)).access_token
    }

    func mode(_ path: String) throws -> Int { try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) }

    @Test func keysAndFilesAreTheServersAloneAndTheDatabaseCannotForgeTokens() async throws {
        try await withServer() { server in
            let data = server.env["TENANT_DIR"]! + "/data"
            let token = try await token(server)
            #expect(try mode(data) == 0o700)
            #expect(try mode(data + "/master.key") == 0o600 && mode(data + "/tenant.sqlite") == 0o600)

            // no 32-byte window of the database (or its WAL) is the key that signed the token
            let parts = token.split(separator: ".").map(String.init)
            let input = Array("\(parts[0]).\(parts[1])".utf8)
            let signature = try #require(Base64URL.decode(parts[2]))
            for file in ["tenant.sqlite", "tenant.sqlite-wal"] {
                guard let bytes = FileManager.default.contents(atPath: data + "/" + file).map(Array.init), bytes.count >= 32 else { continue }
                var found = false
                for start in 0...(bytes.count - 32) where !found {
                    found = HMAC256.mac(key: Array(bytes[start..<start + 32]), input) == signature
                }
                #expect(!found, "\(file) holds the token signing key in clear")
            }

            // a new signing key: tokens signed by the old one still verify, new ones name the new kid
            await stop()
            let rotated = try await start("--rotate-signing-key")
            let api = rotated.url.absoluteString + "/v1/tenants/contoso/kerberosDomains"
            func status(_ bearer: String) async throws -> String {
                try await run(URL(fileURLWithPath: "/usr/bin/curl"), ["-s", "--cacert", rotated.env["TENANT_CA"]!, "-o", "/dev/null", "-w", "%{http_code}",
                                                                 "-H", "@-", api], stdin: "Authorization: Bearer \(bearer)\n").stdout
            }
            #expect(try await status(token) == "200", "a token of the previous key must still verify")
            let fresh = try await self.token(rotated)
            func kid(_ t: String) -> String? {
                (try? JSONDecoder().decode(JWTHeader.self, from: Data(Base64URL.decode(String(t.split(separator: ".")[0])) ?? [])))?.kid
            }
            #expect(kid(fresh) != nil && kid(fresh) != kid(token))
            #expect(try await status(fresh) == "200")
            #expect(try await status(String(fresh.dropLast(4)) + "AAAA") == "401")
        }
    }

    @Test func looseModesAreRefusedAtStart() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("aadkerb-loose-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try await start()
        await stop()
        let tls = server.env["TENANT_DIR"]! + "/tls"
        let args = ["--host", "127.0.0.44", "--port", "8443", "--tls-cert", tls + "/cert.pem", "--tls-key", tls + "/key.pem",
                    "--clients", server.env["TENANT_DIR"]! + "/clients.json", "--data", dir.path]
        let loose = try await run(Paths.tenantServer, args)
        #expect(loose.status != 0 && loose.stderr.contains("mode 755"), "\(loose.stderr)")
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: dir.path)
        FileManager.default.createFile(atPath: dir.appendingPathComponent("master.key").path, contents: Data(repeating: 1, count: 32),
                                       attributes: [.posixPermissions: 0o644])
        let looseKey = try await run(Paths.tenantServer, args)
        #expect(looseKey.status != 0 && looseKey.stderr.contains("master.key has mode 644"), "\(looseKey.stderr)")
        // the test routes: only on loopback, only with a secret
        let exposed = try await run(Paths.tenantServer, args.map { $0 == "127.0.0.44" ? "0.0.0.0" : $0 } + ["--enable-fault-injection",
                                                                                                    "--emulator-secret-file", "/dev/null"])
        #expect(exposed.status == 64 && exposed.stderr.contains("loopback"), "\(exposed.stderr)")
        let noSecret = try await run(Paths.tenantServer, args + ["--enable-fault-injection"])
        #expect(noSecret.status == 64 && noSecret.stderr.contains("--emulator-secret-file"), "\(noSecret.stderr)")
    }

    @Test func theEmulatorRoutesNeedTheirSecretAndTheCodesTenant() async throws {
        try await withServer("--device-code-lifetime 5") { server in
            let base = server.url.absoluteString
            #expect(try await curl(server, ["-o", "/dev/null", "-w", "%{http_code}", base + "/_emulator/device/pending"]).stdout == "403")
            #expect(try await curl(server, ["-o", "/dev/null", "-w", "%{http_code}", "-H", "X-Emulator-Secret: wrong", "-X", "DELETE",
                                      base + "/_emulator/faults"]).stdout == "403")
            let header = "@" + server.env["TENANT_EMULATOR_HEADER_FILE"]!
            // a device code of contoso cannot be approved as a user of another tenant (fabrikam's admin)
            let code = try await curl(server, ["--data", "client_id=aadkerb-cli", base + "/contoso/oauth2/v2.0/devicecode"])
            let userCode = try JSONDecoder().decode(DeviceCodeResponse.self, from: Data(code.stdout.utf8)).user_code
            let foreign = try await curl(server, ["-o", "/dev/null", "-w", "%{http_code}", "-H", header, "-H", "Content-Type: application/json",
                                            "--data", #"{"userCode":"\#(userCode)","userPrincipalName":"admin@fabrikam.com"}"#,
                                            base + "/_emulator/device/approve"])
            #expect(foreign.stdout == "400", "\(foreign.stdout)")
            // codes nobody polls are dropped after their lifetime
            // 20 more at once: issued well within the lifetime even on a loaded machine (one after
            // the other they once took longer than a 2 s lifetime, and the first had expired)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<20 {
                    group.addTask { _ = try await curl(server, ["--data", "client_id=aadkerb-cli", base + "/contoso/oauth2/v2.0/devicecode"]) }
                }
                try await group.waitForAll()
            }
            func pending() async throws -> [String] {
                try JSONDecoder().decode(PendingDeviceCodes.self, from: Data(try await curl(server, ["-H", header, base + "/_emulator/device/pending"]).stdout.utf8)).userCodes
            }
            let before = try await pending()
            #expect(before.count >= 21, "\(before)")
            try await Task.sleep(for: .seconds(5.5))
            let after = try await pending()
            #expect(after == [], "\(after)")
        }
    }

    @Test func tlsBelow1_2AndTooManyTokenRequestsAreRefused() async throws {
        try await withServer("--token-requests-per-minute 5") { server in
            let connect = "\(Self.ip):8443"
            let old = try await run(URL(fileURLWithPath: "/usr/bin/openssl"), ["s_client", "-connect", connect, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"],
                              stdin: "")
            #expect(old.status != 0 && (old.stdout + old.stderr).contains("alert protocol version"), "\(old.stdout)\(old.stderr)")
            let modern = try await run(URL(fileURLWithPath: "/usr/bin/openssl"), ["s_client", "-connect", connect, "-tls1_2", "-CAfile", server.env["TENANT_CA"]!],
                                 stdin: "")
            #expect(modern.stdout.contains("Protocol  : TLSv1.2") || modern.stdout.contains("Protocol: TLSv1.2"), "\(modern.stdout)")

            let secret = try String(contentsOfFile: server.adminSecretFile, encoding: .utf8).trimmingCharacters(in: .newlines)
            func tokenStatus(_ client: String, _ body: String) async throws -> String {
                try await run(URL(fileURLWithPath: "/usr/bin/curl"), ["-s", "--cacert", server.env["TENANT_CA"]!, "-o", "/dev/null", "-w", "%{http_code}",
                                                                 "--data-binary", "@-", server.url.absoluteString + "/contoso/oauth2/v2.0/token"],
                        stdin: "grant_type=client_credentials&client_id=\(client)&\(body)").stdout
            }
            var statuses: [String] = []
            for _ in 0..<7 { statuses.append(try await tokenStatus("admin", "client_secret=\(secret)")) }
            #expect(statuses.prefix(5).allSatisfy { $0 == "200" } && statuses.suffix(2).allSatisfy { $0 == "429" }, "\(statuses)")
            // another client is not locked out by the first one's requests
            #expect(try await tokenStatus("reader", "client_secret=wrong") == "401")
        }
    }
}
