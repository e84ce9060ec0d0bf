import EntraSync
import Foundation
import Testing
import TenantAPI
import TenantClient

extension SharedServers {
    /// `get --cloud entra` end to end against the reference server's emulation of the Entra
    /// Connect sync web service (Sources/aadkerb-tenant-server/EntraSyncEndpoint.swift): a token
    /// from the emulator's token endpoint, SOAP 1.2 in WCF binary XML both ways, the service's
    /// redirect answer, SOAP faults, HTTP 401/403/429. No test reaches a Microsoft endpoint:
    /// every run names --entra-url and --authority on loopback.
    @Suite struct EntraGetTests {
        static func entraArguments(_ server: TenantServerInstance, client: String = "reader", path: String = "/provisioningservice.svc") -> [String] {
            ["--cloud", "entra", "--entra-url", server.url.absoluteString + path, "--tenant", server.tenant,
             "--authority", server.url.absoluteString, "--client-id", client,
             "--client-secret-file", client == "admin" ? server.adminSecretFile : server.readerSecretFile, "--tenant-retries", "1"]
        }

        func freshDomain() -> String { "e\(UUID().uuidString.prefix(8).lowercased()).example.test" }

        @Test func inSyncDriftedAndMissingAgainstTheDC() async throws {
            let dc = try await Fixture.shared.dc("contoso")
            let server = try await Fixture.shared.tenant()
            try await Seeder.seed(dc, passwordResets: 1)
            let client = try server.client()
            try await client.delete(domain: dc.domain)
            let (onPrem, cloud) = try await Seeder.cloudTwin(dc)
            let published = try await client.put(cloud, ifMatch: nil)
            defer { Task { try? await client.delete(domain: dc.domain) } }

            let args = ["get"] + dc.connectionArguments + Self.entraArguments(server)
            let inSync = try await aadkerb(args + ["-o", "json"])
            #expect(inSync.status == 0, "\(inSync.stderr)")
            let a = try decodeOutput(GetOutput.self, inSync.stdout)
            #expect(a.SyncStatus == "InSync")
            #expect(a.CloudSource == "entra (experimental: response format inferred)")
            #expect(a.CloudKeyVersion == onPrem.KeyVersion)
            #expect(a.CloudId == onPrem.Id)
            // every element the service returned is kept
            let elements = try #require(a.CloudElements, "\(inSync.stdout)")
            #expect(elements["KeyVersion"] == String(onPrem.KeyVersion!))
            #expect(elements["DisplayName"] == onPrem.DisplayName)
            let table = try await aadkerb(args)
            #expect(table.status == 0)
            #expect(table.stdout.contains("entra (experimental: response format inferred)"), "\(table.stdout)")

            var drifted = cloud
            drifted.keyVersion += 3
            _ = try await client.put(drifted, ifMatch: published.etag)
            let d = try await aadkerb(args + ["-o", "json"])
            #expect(d.status == 4, "\(d.stderr)")
            let dj = try decodeOutput(GetOutput.self, d.stdout)
            #expect(dj.SyncStatus == "Drifted")
            #expect(dj.Comparison?["KeyVersion"] == "Differ")

            try await client.delete(domain: dc.domain)
            let missing = try await aadkerb(args + ["-o", "json"])
            #expect(missing.status == 5, "\(missing.stderr)")
            #expect(try decodeOutput(GetOutput.self, missing.stdout).SyncStatus == "MissingInCloud")
        }

        @Test func cloudOnlyAndTheRawResponse() async throws {
            let server = try await Fixture.shared.tenant()
            let client = try server.client()
            let domain = freshDomain()
            _ = try await client.put(SharedServers.TenantTests.sample(domain), ifMatch: nil)
            defer { Task { try? await client.delete(domain: domain) } }
            let r = try await aadkerb(["get", "--domain", domain, "--cloud-only", "-o", "json", "--show-raw-response"] + Self.entraArguments(server))
            #expect(r.status == 0, "\(r.stderr)")
            let j = try decodeOutput(GetOutput.self, r.stdout)
            #expect(j.CloudKeyVersion == 4080)
            #expect(j.CloudId == 7080)
            #expect(j.CloudKeyUpdatedFrom == "dc1.example.test")
            // the decoded answer on stderr, with the SOAP envelope the emulator sent
            #expect(r.stderr.contains("Entra sync service answer"), "\(r.stderr)")
            #expect(r.stderr.contains("<GetKerberosDomainResult>"), "\(r.stderr)")
            #expect(r.stderr.contains("<KeyVersion>4080</KeyVersion>"))
            // the reader's secret and the token never show
            let secret = try String(contentsOfFile: server.readerSecretFile, encoding: .utf8).trimmingCharacters(in: .newlines)
            #expect(!r.stderr.contains(secret) && !r.stdout.contains(secret))
            #expect(!r.stderr.contains("eyJ"))

            let missing = try await aadkerb(["get", "--domain", freshDomain(), "--cloud-only", "-o", "json"] + Self.entraArguments(server))
            #expect(missing.status == 3, "\(missing.stderr)")
            #expect(try decodeOutput(GetOutput.self, missing.stdout).CloudId == nil)
        }

        @Test func followsTheServicesRedirectBounded() async throws {
            let server = try await Fixture.shared.tenant()
            let client = try server.client()
            let domain = freshDomain()
            _ = try await client.put(SharedServers.TenantTests.sample(domain), ifMatch: nil)
            defer { Task { try? await client.delete(domain: domain) } }
            let moved = try await aadkerb(["get", "--domain", domain, "--cloud-only", "-o", "json", "--show-raw-response"]
                                    + Self.entraArguments(server, path: "/moved/provisioningservice.svc"))
            #expect(moved.status == 0, "\(moved.stderr)")
            #expect(try decodeOutput(GetOutput.self, moved.stdout).CloudKeyVersion == 4080)
            #expect(moved.stderr.contains("BindingRedirectionFault"))
            let loop = try await aadkerb(["get", "--domain", domain, "--cloud-only"] + Self.entraArguments(server, path: "/loop/provisioningservice.svc"))
            #expect(loop.status == 17, "\(loop.stderr)")
            #expect(loop.stderr.contains("more than 3 redirects"), "\(loop.stderr)")
            let away = try await aadkerb(["get", "--domain", domain, "--cloud-only"] + Self.entraArguments(server, path: "/away/provisioningservice.svc"))
            #expect(away.status == 17, "\(away.stderr)")
            #expect(away.stderr.contains("refused a redirect to https://elsewhere.invalid/"), "\(away.stderr)")
        }

        @Test func faultsAndHTTPFailuresHaveTheirExitCodes() async throws {
            let server = try await Fixture.shared.tenant()
            // cleared at the end (a defer cannot wait); after a failure, the next Fixture.tenant() clears them
            // a SOAP fault: the service refuses the domain
            let fault = try await aadkerb(["get", "--domain", "refused.invalid", "--cloud-only"] + Self.entraArguments(server))
            #expect(fault.status == 17, "\(fault.stderr)")
            #expect(fault.stderr.contains("SOAP fault s:Sender") && fault.stderr.contains("InvalidDomainFault"), "\(fault.stderr)")
            #expect(fault.stderr.contains("Entra sync service"))
            // a token the service refuses (forged; an expired one takes the same path): 401, exit 10
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("entra-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            defer { try? FileManager.default.removeItem(at: dir) }
            let tokenFile = dir.appendingPathComponent("token").path
            let forged = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImswIn0.eyJ0aWQiOiJjb250b3NvIn0.c2lnbmF0dXJl"
            _ = FileManager.default.createFile(atPath: tokenFile, contents: Data((forged + "\n").utf8), attributes: [.posixPermissions: 0o600])
            let badToken = try await aadkerb(["get", "--domain", "x.example.test", "--cloud-only", "--cloud", "entra",
                                        "--entra-url", server.url.absoluteString + "/provisioningservice.svc", "--access-token-file", tokenFile])
            #expect(badToken.status == 10, "\(badToken.stderr)")
            #expect(badToken.stderr.contains("HTTP 401"), "\(badToken.stderr)")
            #expect(!badToken.stderr.contains("c2lnbmF0dXJl"))
            // 403: a client without a KerberosDomain role
            // 429 then success: retried after Retry-After
            try await server.inject(["method": "POST", "pathPrefix": "/provisioningservice.svc", "status": 429, "retryAfter": 1, "times": 1])
            let throttledOnce = try await aadkerb(["get", "--domain", freshDomain(), "--cloud-only"] + Self.entraArguments(server))
            #expect(throttledOnce.status == 3, "\(throttledOnce.stderr)")
            // 429 past the retries: exit 17
            try await server.inject(["method": "POST", "pathPrefix": "/provisioningservice.svc", "status": 429, "retryAfter": 0, "times": 5])
            let throttled = try await aadkerb(["get", "--domain", freshDomain(), "--cloud-only"] + Self.entraArguments(server))
            #expect(throttled.status == 17, "\(throttled.stderr)")
            #expect(throttled.stderr.contains("HTTP 429"), "\(throttled.stderr)")
            try await server.clearFaults()
            try await server.inject(["method": "POST", "pathPrefix": "/provisioningservice.svc", "status": 403, "times": 1])
            let forbidden = try await aadkerb(["get", "--domain", freshDomain(), "--cloud-only"] + Self.entraArguments(server))
            #expect(forbidden.status == 11, "\(forbidden.stderr)")
            try await server.clearFaults()
        }

        /// The sign-in flows beyond a client secret: a person with the device code flow (the
        /// default when no secret, certificate or token is given), and a certificate.
        @Test func deviceCodeAndCertificateSignIn() async throws {
            let server = try await Fixture.shared.tenant()
            let client = try server.client()
            let domain = freshDomain()
            _ = try await client.put(SharedServers.TenantTests.sample(domain), ifMatch: nil)
            defer { Task { try? await client.delete(domain: domain) } }
            let base = ["get", "--domain", domain, "--cloud-only", "-o", "json", "--cloud", "entra",
                        "--entra-url", server.url.absoluteString + "/provisioningservice.svc", "--tenant", server.tenant,
                        "--authority", server.url.absoluteString]
            let approver = Task.detached { try await server.decideNextDeviceCode(as: "helpdesk@contoso.corp.com") }
            let person = try await aadkerb(base + ["--client-id", "aadkerb-cli"])
            let code = try await approver.value
            #expect(person.status == 0, "\(person.stderr)")
            #expect(person.stderr.contains(code), "the sign-in prompt names the code: \(person.stderr)")
            #expect(try decodeOutput(GetOutput.self, person.stdout).CloudKeyVersion == 4080)
            let certificate = try await aadkerb(base + ["--client-id", "certapp", "--client-certificate", server.env["TENANT_CLIENT_CERT"]!,
                                                  "--client-key", server.env["TENANT_CLIENT_KEY"]!])
            #expect(certificate.status == 0, "\(certificate.stderr)")
            #expect(try decodeOutput(GetOutput.self, certificate.stdout).CloudId == 7080)
        }

        /// GetKerberosDomainSyncConfig through the library: the ECK1 key the emulator sends is the
        /// tenant's key-encryption key that the tenant API's syncConfig names.
        @Test func syncConfigCarriesTheTenantKeyAsECK1() async throws {
            let server = try await Fixture.shared.tenant()
            let entra = EntraSyncClient(endpoint: EntraEndpoint(serviceURL: server.url.appendingPathComponent("provisioningservice.svc"),
                                                                tenant: server.tenant, authority: server.url, timeout: .seconds(10)),
                                        credentials: .clientSecret(clientID: "reader", secret: try server.secret(server.readerSecretFile)))
            let read = try await entra.getKerberosDomainSyncConfig()
            let key = try #require(read.value.publicEncryptionKey)
            let config = try await server.client().syncConfig()
            #expect(Data(key.sec1).base64EncodedString() == config.keyEncryption.publicKey)
            #expect(read.value.securedKeyId == config.keyEncryption.keyId)
            #expect(key.aadkerbKeyID == config.keyEncryption.keyId)
            #expect(read.value.securedEncryptionAlgorithm == config.keyEncryption.algorithm)
            #expect(read.rawResponses.count == 1 && read.rawResponses[0].contains("PublicEncryptionKey"))
            // the same through a moved service: two answers, the redirect's and the result's
            let moved = EntraSyncClient(endpoint: EntraEndpoint(serviceURL: server.url.appendingPathComponent("moved/provisioningservice.svc"),
                                                                tenant: server.tenant, authority: server.url, timeout: .seconds(10)),
                                        credentials: .clientSecret(clientID: "reader", secret: try server.secret(server.readerSecretFile)))
            let viaRedirect = try await moved.getKerberosDomainSyncConfig()
            #expect(viaRedirect.value.publicEncryptionKey == key)
            #expect(viaRedirect.rawResponses.count == 2)
            #expect(await moved.requestCount == 2)
        }

        @Test func writesRefuseEntra() async throws {
            for command in ["set", "rotate", "remove"] {
                let r = try await aadkerb([command, "--domain", "contoso.corp.com", "--cloud", "entra"])
                #expect(r.status == 64, "\(command): \(r.stderr)")
                #expect(r.stderr.contains("--cloud entra is read-only"), "\(command): \(r.stderr)")
            }
            let misuse = try await aadkerb(["get", "--domain", "contoso.corp.com", "--cloud-only", "--show-raw-response"])
            #expect(misuse.status == 64)
        }
    }
}
