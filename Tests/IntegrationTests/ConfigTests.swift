import Foundation
import Testing

extension SharedServers {
    /// Defaults from a config file (AADKERB_CONFIG): used when the command line and the
    /// environment say nothing, overridden by them, and never a place for secrets.
    @Suite struct ConfigTests {
        func write(_ text: String) throws -> String {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("aadkerb-\(UUID().uuidString).toml").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        @Test func theConfigFileSuppliesDefaultsAndTheCommandLineWins() async throws {
            let dc = try await Fixture.shared.dc("contoso")
            let server = try await Fixture.shared.tenant()
            let config = try write("""
                # aadkerb defaults for contoso
                user = "Administrator"            # qualified with the domain
                password-file = "\(dc.passwordFile)"
                tenant = "\(server.tenant)"
                tenant-endpoint = "\(server.url.absoluteString)"
                authority = "\(server.url.absoluteString)"
                client-id = "admin"
                client-secret-file = "\(server.adminSecretFile)"

                [domains."\(dc.domain)"]
                server = "\(dc.uri)"
                ca-file = "\(dc.caFile)"
                """)
            defer { try? FileManager.default.removeItem(atPath: config) }
            let env = ["AADKERB_CONFIG": config]
            let full = try await aadkerb(["get"] + dc.connectionArguments + server.arguments() + ["-o", "json"])
            let short = try await aadkerb(["get", "--domain", dc.domain, "-o", "json"], environment: env)
            #expect(short.status == full.status, "\(short.stderr)")
            let a = try decodeOutput(GetOutput.self, full.stdout), b = try decodeOutput(GetOutput.self, short.stdout)
            #expect(b.Server == dc.uri)
            #expect(b.CloudId == a.CloudId && b.CloudSource == a.CloudSource)  // the tenant side came from the file too
            #expect(b.SyncStatus == a.SyncStatus)

            // the command line wins over the file: a bad server on the command line fails (at once,
            // while the tenant request is still in flight: this once deadlocked inside
            // FoundationNetworking when the failure cancelled that request; 20 runs must all end)
            for _ in 0..<20 {
                let child = try await spawn(Paths.aadkerb, ["get", "--domain", dc.domain, "--server", "ldaps://\(dc.ip):1", "--connect-timeout", "2"],
                                      environment: env)
                let overridden = try #require(try await child.wait(deadline: .seconds(30)), "aadkerb get hung")
                #expect(overridden.status == 12, "\(overridden.stderr)")
            }
        }

        @Test func secretsUnknownKeysAndMissingFilesAreRefusedWithTheLine() async throws {
            let secret = try write("user = \"admin\"\npassword = \"hunter2\"\n")
            defer { try? FileManager.default.removeItem(atPath: secret) }
            let r1 = try await aadkerb(["get", "--domain", "contoso.corp.com"], environment: ["AADKERB_CONFIG": secret])
            #expect(r1.status == 64)
            #expect(r1.stderr.contains("\(secret):2: secrets do not go in the config file; set password-file"))
            #expect(!r1.stderr.contains("hunter2"))

            let typo = try write("[domains.\"contoso.corp.com\"]\nsever = \"ldaps://x\"\n")
            defer { try? FileManager.default.removeItem(atPath: typo) }
            let r2 = try await aadkerb(["get", "--domain", "contoso.corp.com"], environment: ["AADKERB_CONFIG": typo])
            #expect(r2.status == 64)
            #expect(r2.stderr.contains("\(typo):2: unknown key sever"))

            let bad = try write("user = admin\n")
            defer { try? FileManager.default.removeItem(atPath: bad) }
            let unquoted = try await aadkerb(["get", "--domain", "contoso.corp.com"], environment: ["AADKERB_CONFIG": bad])
            #expect(unquoted.status == 64 && unquoted.stderr.contains("\(bad):1: "), "\(unquoted.stderr)")

            let missing = try await aadkerb(["get", "--domain", "contoso.corp.com"], environment: ["AADKERB_CONFIG": "/nonexistent/aadkerb.toml"])
            #expect(missing.status == 66)

            // a key given twice is an error, not "the last one wins"
            let twice = try write("user = \"a\"\nuser = \"b\"\n")
            defer { try? FileManager.default.removeItem(atPath: twice) }
            let r3 = try await aadkerb(["get", "--domain", "contoso.corp.com"], environment: ["AADKERB_CONFIG": twice])
            #expect(r3.status == 64 && r3.stderr.contains("\(twice):2: ") && r3.stderr.contains("user"), "\(r3.stderr)")
        }

        /// Full TOML (TOMLKit): literal strings; `~` is the home directory; a relative path is
        /// relative to the config file, not to the directory the command runs in.
        @Test func literalStringsTildeAndRelativePaths() async throws {
            let dc = try await Fixture.shared.dc("contoso")
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aadkerb-cfg-\(UUID().uuidString)")
            let home = directory.appendingPathComponent("home")
            try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            // the password next to the config file (relative), the CA under ~ (the test's HOME)
            try FileManager.default.copyItem(atPath: dc.passwordFile, toPath: directory.appendingPathComponent("pass").path)
            try FileManager.default.copyItem(atPath: dc.caFile, toPath: home.appendingPathComponent("ca.pem").path)
            let config = directory.appendingPathComponent("config.toml")
            try Data("""
                user = 'Administrator'
                password-file = 'pass'

                [domains.'\(dc.domain)']
                server = '\(dc.uri)'
                ca-file = "~/ca.pem"

                """.utf8).write(to: config)
            // run from another directory: "pass" must not be looked for there
            let result = try await run(URL(fileURLWithPath: "/bin/sh"), ["-c", "cd / && exec \"$0\" \"$@\"", Paths.aadkerb.path,
                                                                    "get", "--domain", dc.domain, "-o", "json"],
                                 environment: ["AADKERB_CONFIG": config.path, "HOME": home.path])
            #expect([0, 3, 4, 5].contains(result.status), "\(result.stderr)")
            #expect(try decodeOutput(GetOutput.self, result.stdout).Server == dc.uri, "\(result.stdout)")
        }
    }
}
