import Foundation
import LDAPClient
import OpenSSLSupport
import TenantAPI
import TenantClient
import Testing
import Basics

extension SharedServers {
    /// The tenant client against the running reference server over real TLS. Serialized: the tests
    /// share the server's store and its fault-injection rules.
    @Suite struct TenantTests {
        static func sample(_ domain: String, keyVersion: Int64 = 4080) -> KerberosDomain {
            KerberosDomain(domainDnsName: domain, id: 7080, displayName: "krbtgt_7080", keyVersion: keyVersion,
                           keyUpdatedOn: "2026-11-24T20:05:14Z", keyUpdatedFrom: "dc1.example.test")
        }

        func freshDomain() -> String { "t\(UUID().uuidString.prefix(8).lowercased()).example.test" }

        @Test func createReadReplaceDeleteWithETags() async throws {
            let server = try await Fixture.shared.tenant()
            let client = try server.client()
            let domain = freshDomain()
            #expect(try await client.get(domain: domain) == nil)

            let created = try await client.put(Self.sample(domain), ifMatch: nil)
            #expect(created.value.keyVersion == 4080)
            #expect(created.etag == "\"1\"")
            #expect(created.value.createdOn != nil)

            // Creating again is a conflict, not an overwrite.
            let conflict = await #expect(throws: TenantError.self) { try await client.put(Self.sample(domain), ifMatch: nil) }
            #expect(conflict?.kind == .conflict)
            #expect(conflict?.status == 409)

            let updated = try await client.put(Self.sample(domain, keyVersion: 4090), ifMatch: created.etag)
            #expect(updated.etag == "\"2\"")
            // A writer holding the old ETag cannot silently overwrite.
            let stale = await #expect(throws: TenantError.self) { try await client.put(Self.sample(domain, keyVersion: 1), ifMatch: created.etag) }
            #expect(stale?.status == 412)
            #expect(stale?.description.contains(domain) == true)
            #expect(try await client.get(domain: domain)?.value.keyVersion == 4090)
            #expect(try await client.list().contains { $0.domainDnsName == domain })

            #expect(try await client.delete(domain: domain) == true)
            #expect(try await client.delete(domain: domain) == false)
            #expect(try await client.get(domain: domain) == nil)
        }

        @Test func theReaderRoleCanReadButNotWrite() async throws {
            let server = try await Fixture.shared.tenant()
            let domain = freshDomain()
            _ = try await server.client().put(Self.sample(domain), ifMatch: nil)
            let reader = try server.client("reader")
            #expect(try await reader.get(domain: domain)?.value.id == 7080)
            let denied = await #expect(throws: TenantError.self) { try await reader.delete(domain: domain) }
            #expect(denied?.kind == .forbidden)
            #expect(denied?.description.contains("KerberosDomain.ReadWrite.All") == true)
            #expect(try await reader.get(domain: domain) != nil)
        }

        @Test func aWrongSecretIsAClearAuthenticationError() async throws {
            let server = try await Fixture.shared.tenant()
            let client = TenantClient(endpoint: TenantEndpoint(tenant: server.tenant, apiURL: server.url, authority: server.url),
                                      credentials: .clientSecret(clientID: "admin", secret: Secret("wrong")))
            let error = await #expect(throws: TenantError.self) { try await client.get(domain: "x.example.test") }
            #expect(error?.kind == .authentication)
            #expect(error?.status == 401)
            #expect(error?.description.contains("invalid_client") == true)
            #expect(error?.description.contains("oauth2/v2.0/token") == true)
        }

        @Test func aCertificateSignedAssertionGetsAToken() async throws {
            let server = try await Fixture.shared.tenant()
            let cert = try #require(FileManager.default.contents(atPath: server.env["TENANT_CLIENT_CERT"]!))
            let key = try #require(FileManager.default.contents(atPath: server.env["TENANT_CLIENT_KEY"]!))
            let client = TenantClient(endpoint: TenantEndpoint(tenant: server.tenant, apiURL: server.url, authority: server.url),
                                      credentials: .clientCertificate(clientID: "certapp", certificatePEM: Array(cert), privateKeyPEM: Secret(bytes: Array(key))))
            let domain = freshDomain()
            _ = try await client.put(Self.sample(domain), ifMatch: nil)
            #expect(try await client.get(domain: domain)?.value.id == 7080)

            // The right certificate with another key: refused, and the message says why.
            let otherKey = try await run(URL(fileURLWithPath: "/usr/bin/openssl"), ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"])
            let impostor = TenantClient(endpoint: TenantEndpoint(tenant: server.tenant, apiURL: server.url, authority: server.url),
                                        credentials: .clientCertificate(clientID: "certapp", certificatePEM: Array(cert), privateKeyPEM: Secret(otherKey.stdout)))
            let error = await #expect(throws: TenantError.self) { try await impostor.list() }
            #expect(error?.kind == .authentication)
            #expect(error?.description.contains("signature does not verify") == true)
        }

        @Test func theCLISignsInWithACertificate() async throws {
            let server = try await Fixture.shared.tenant()
            let result = try await aadkerb(["get", "--domain", "nothing-here.example.test", "--cloud-only", "--tenant", server.tenant,
                                      "--tenant-endpoint", server.url.absoluteString, "--authority", server.url.absoluteString,
                                      "--client-id", "certapp", "--client-certificate", server.env["TENANT_CLIENT_CERT"]!,
                                      "--client-key", server.env["TENANT_CLIENT_KEY"]!, "-o", "json"])
            #expect(result.status == 3, "\(result.stderr)")
            #expect(try decodeOutput(GetOutput.self, result.stdout).CloudId == nil)
            let half = try await aadkerb(["get", "--domain", "x.example.test", "--cloud-only", "--tenant", server.tenant,
                                    "--tenant-endpoint", server.url.absoluteString, "--client-id", "certapp",
                                    "--client-certificate", server.env["TENANT_CLIENT_CERT"]!])
            #expect(half.status == 64)
            #expect(half.stderr.contains("--client-key"))
        }

        final class Prompts: @unchecked Sendable {
            private let lock = NSLock()
            private var messages: [String] = []
            func add(_ m: String) { lock.withLock { messages.append(m) } }
            var all: [String] { lock.withLock { messages } }
        }

        func deviceCodeClient(_ server: TenantServerInstance, prompts: Prompts) -> TenantClient {
            TenantClient(endpoint: TenantEndpoint(tenant: server.tenant, apiURL: server.url, authority: server.url),
                         credentials: .deviceCode(clientID: "aadkerb-cli"), prompt: { prompts.add($0) })
        }

        @Test func aPersonSignsInWithTheDeviceCodeFlow() async throws {
            let server = try await Fixture.shared.tenant()
            let prompts = Prompts()
            let client = deviceCodeClient(server, prompts: prompts)
            let approver = Task.detached { try await server.decideNextDeviceCode(as: "admin@contoso.corp.com") }
            let domain = freshDomain()
            _ = try await client.put(Self.sample(domain), ifMatch: nil)
            let code = try await approver.value
            #expect(prompts.all.count == 1)
            #expect(prompts.all.first?.contains(code) == true)
            #expect(prompts.all.first?.contains("/contoso/device") == true)
            // the token is cached: no second sign-in
            #expect(try await client.get(domain: domain) != nil)
            #expect(prompts.all.count == 1)
        }

        @Test func aDeclinedSignInAndAReadOnlyPersonAreRefused() async throws {
            let server = try await Fixture.shared.tenant()
            let declined = deviceCodeClient(server, prompts: Prompts())
            let decline = Task.detached { try await server.decideNextDeviceCode(as: "", deny: true) }
            let error = await #expect(throws: TenantError.self) { try await declined.list() }
            _ = try await decline.value
            #expect(error?.kind == .authentication)
            #expect(error?.description.contains("access_denied") == true)

            let helpdesk = deviceCodeClient(server, prompts: Prompts())
            let approve = Task.detached { try await server.decideNextDeviceCode(as: "helpdesk@contoso.corp.com") }
            _ = try await helpdesk.list()
            _ = try await approve.value
            let denied = await #expect(throws: TenantError.self) { try await helpdesk.delete(domain: "x.example.test") }
            #expect(denied?.kind == .forbidden)
        }

        @Test func theCLIShowsTheDeviceCodeOnStderr() async throws {
            let server = try await Fixture.shared.tenant()
            let approver = Task.detached { try await server.decideNextDeviceCode(as: "helpdesk@contoso.corp.com") }
            let result = try await aadkerb(["get", "--domain", "nothing-here.example.test", "--cloud-only", "--tenant", server.tenant,
                                      "--tenant-endpoint", server.url.absoluteString, "--authority", server.url.absoluteString,
                                      "--client-id", "aadkerb-cli", "--device-code", "-o", "json"])
            let code = try await approver.value
            #expect(result.status == 3, "\(result.stderr)")
            #expect(result.stderr.contains("To sign in, open"))
            #expect(result.stderr.contains(code))
            #expect(!result.stdout.contains(code))
        }

        @Test func keysTravelSealedRotateThroughTwoSlotsAndRestEncrypted() async throws {
            let server = try await Fixture.shared.tenant()
            let client = try server.client()
            let domain = freshDomain()
            let key1 = AESGCM.randomBytes(32), key2 = AESGCM.randomBytes(32)
            let first = try await client.put(Self.sample(domain), ifMatch: nil, newKey: (Secret(bytes: key1), 2))
            #expect(first.value.currentKey?.kvno == 2)
            #expect(first.value.currentKey?.checkValue == KeyEnvelope.checkValue(Secret(bytes: key1)))
            #expect(first.value.previousKey == nil)
            #expect(first.value.newKey == nil)

            var next = Self.sample(domain, keyVersion: 4090)
            let second = try await client.put(next, ifMatch: first.etag, newKey: (Secret(bytes: key2), 3))
            #expect(second.value.currentKey?.checkValue == KeyEnvelope.checkValue(Secret(bytes: key2)))
            #expect(second.value.previousKey == first.value.currentKey)

            // Slots are the server's: a client cannot write them directly.
            next.currentKey = KeySlot(kvno: 99, keyVersion: 1, checkValue: "forged")
            next.previousKey = nil
            let third = try await client.put(next, ifMatch: second.etag)
            #expect(third.value.currentKey == second.value.currentKey)
            #expect(third.value.previousKey == second.value.previousKey)

            // No key is stored in the clear anywhere in the server's data directory.
            let dataDir = server.env["TENANT_DIR"]! + "/data"
            for file in try FileManager.default.contentsOfDirectory(atPath: dataDir) where file != "master.key" {
                let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: dataDir + "/" + file)))
                for key in [key1, key2] {
                    #expect(!contains(bytes, key), "\(file) holds a key in the clear")
                }
            }

            // A sealed envelope replayed into another domain does not open.
            let config = try await client.syncConfig()
            let envelope = try KeyEnvelope.seal(Secret(bytes: key1), to: Array(Data(base64Encoded: config.keyEncryption.publicKey)!),
                                                context: KeyEnvelope.context(tenant: server.tenant, domain: domain, kvno: 4, keyVersion: 4090, encryptionType: "aes256-cts-hmac-sha1-96"))
            var replay = Self.sample(freshDomain(), keyVersion: 4090)
            replay.newKey = KeyUpload(kvno: 4, keyVersion: 4090, envelope: envelope)
            let refused = await #expect(throws: TenantError.self) { try await client.put(replay, ifMatch: nil) }
            #expect(refused?.status == 400)
            #expect(refused?.description.contains("does not open") == true)
        }

        @Test func aCachedTokenIsReusedUntilItIsDueThenRenewed() async throws {
            let server = try await Fixture.shared.tenant()
            let secret = try server.secret(server.adminSecretFile)
            // lifetime 3600 s: with the default margin the token is reused...
            let reusing = TenantClient(endpoint: TenantEndpoint(tenant: server.tenant, apiURL: server.url, authority: server.url),
                                       credentials: .clientSecret(clientID: "admin", secret: secret))
            _ = try await reusing.list()
            let a = await reusing.requestCount
            _ = try await reusing.list()
            #expect(await reusing.requestCount - a == 1)
            // ...and with a margin of the whole lifetime it is due at once, so each call renews it.
            let renewing = TenantClient(endpoint: TenantEndpoint(tenant: server.tenant, apiURL: server.url, authority: server.url,
                                                                 tokenRefreshMargin: .seconds(3600)),
                                        credentials: .clientSecret(clientID: "admin", secret: secret))
            _ = try await renewing.list()
            let b = await renewing.requestCount
            _ = try await renewing.list()
            #expect(await renewing.requestCount - b == 2)
        }

        @Test func aForgedTokenIsRejected() async throws {
            let server = try await Fixture.shared.tenant()
            let forged = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
            let client = TenantClient(endpoint: TenantEndpoint(tenant: server.tenant, apiURL: server.url, authority: server.url),
                                      credentials: .accessToken(Secret(forged)))
            let error = await #expect(throws: TenantError.self) { try await client.get(domain: "x.example.test") }
            #expect(error?.kind == .authentication)
            #expect(error?.description.contains("signature") == true)
        }

        @Test func retryAfterOn429IsHonoured() async throws {
            let server = try await Fixture.shared.tenant()
            let client = try server.client()
            _ = try await client.list()  // token fetched
            try await server.inject(["method": "GET", "pathPrefix": "/v1/", "status": 429, "retryAfter": 1, "times": 1])
            let before = await client.requestCount
            let start = ContinuousClock.now
            _ = try await client.list()
            #expect(await client.requestCount - before == 2)
            // The client waited as told (a behaviour check with a lower bound, not a speed target).
            #expect((ContinuousClock.now - start) >= .milliseconds(900))
        }

        @Test func serverErrorsAreRetriedThenReported() async throws {
            let server = try await Fixture.shared.tenant()
            let client = try server.client(maxRetries: 2)
            _ = try await client.list()
            try await server.inject(["method": "GET", "pathPrefix": "/v1/", "status": 503, "retryAfter": 0, "times": 5])
            let before = await client.requestCount
            let error = await #expect(throws: TenantError.self) { try await client.list() }
            #expect(error?.kind == .server)
            #expect(error?.status == 503)
            #expect(await client.requestCount - before == 3)
            try await server.clearFaults()
            // and a transient error below the retry limit is absorbed
            try await server.inject(["method": "GET", "pathPrefix": "/v1/", "status": 502, "retryAfter": 0, "times": 2])
            _ = try await client.list()
        }

        /// libcurl itself resends once when a reused keep-alive connection is closed before any
        /// answer, so a single drop is invisible; two in a row reach aadkerb's own retry.
        @Test func droppedConnectionsAreRetriedForReadsAndReportedWithoutRetries() async throws {
            let server = try await Fixture.shared.tenant()
            let client = try server.client(maxRetries: 3)
            _ = try await client.list()
            try await server.inject(["method": "GET", "pathPrefix": "/v1/", "drop": true, "times": 2])
            let before = await client.requestCount
            _ = try await client.list()
            #expect(await client.requestCount - before >= 2)

            let strict = try server.client(maxRetries: 0)
            _ = try await strict.list()
            try await server.inject(["method": "GET", "pathPrefix": "/v1/", "drop": true, "times": 2])
            let error = await #expect(throws: TenantError.self) { try await strict.list() }
            #expect(error?.kind == .unreachable)
            #expect(error?.description.contains("/v1/tenants/contoso/kerberosDomains") == true)
            try await server.clearFaults()
        }

        @Test func dataAndTokensSurviveARestart() async throws {
            let server = try await Fixture.shared.tenant()
            let client = try server.client()
            let domain = freshDomain()
            let written = try await client.put(Self.sample(domain), ifMatch: nil)
            try await server.stop()
            try await server.start()
            // the cached token was signed before the restart and still verifies
            let read = try #require(try await client.get(domain: domain))
            #expect(read.value == written.value)
            #expect(read.etag == written.etag)
        }

        @Test func aServerKilledMidRequestFailsInBoundedTimeAndDataSurvives() async throws {
            let server = try await Fixture.shared.tenant()
            let client = try server.client(maxRetries: 1, timeout: .seconds(5))
            let domain = freshDomain()
            let written = try await client.put(Self.sample(domain), ifMatch: nil)
            try await server.inject(["method": "GET", "pathPrefix": "/v1/", "delayMs": 3000, "times": 1])
            let pending = Task { try await client.get(domain: domain) }
            try await Task.sleep(for: .milliseconds(500))
            try server.kill()
            let start = ContinuousClock.now
            let error = await #expect(throws: TenantError.self) { _ = try await pending.value }
            #expect([.unreachable, .timeout].contains(error?.kind))
            #expect((ContinuousClock.now - start).seconds < 20)
            try await server.start()
            #expect(try await client.get(domain: domain)?.value == written.value)
        }

        @Test func aSilentEndpointFailsWithinTheTimeout() async throws {
            let listener = try SilentListener()
            let url = URL(string: "https://\(listener.host):\(listener.port)")!
            let client = TenantClient(endpoint: TenantEndpoint(tenant: "contoso", apiURL: url, authority: url,
                                                               timeout: .seconds(1), maxRetries: 1),
                                      credentials: .accessToken(Secret("x")))
            let start = ContinuousClock.now
            let error = await #expect(throws: TenantError.self) { try await client.list() }
            #expect(error?.kind == .timeout)
            #expect((ContinuousClock.now - start).seconds < 15)
        }

        @Test func aRefusedEndpointIsUnreachable() async throws {
            let url = URL(string: "https://127.0.0.97:1")!
            let client = TenantClient(endpoint: TenantEndpoint(tenant: "contoso", apiURL: url, authority: url, maxRetries: 0),
                                      credentials: .accessToken(Secret("x")))
            let error = await #expect(throws: TenantError.self) { try await client.list() }
            #expect(error?.kind == .unreachable)
        }
    }

    /// `aadkerb get` reading both sides: the verdict and exit code follow what differs.
    @Suite struct GetBothSidesTests {
        @Test func inSyncThenDriftedThenMissingInCloud() async throws {
            let dc = try await Fixture.shared.dc("contoso")
            let server = try await Fixture.shared.tenant()
            try await Seeder.seed(dc, passwordResets: 1)
            let client = try server.client()
            try await client.delete(domain: dc.domain)

            // Publish what the DC holds, as `set` will.
            let (onPrem, cloud) = try await Seeder.cloudTwin(dc)
            let published = try await client.put(cloud, ifMatch: nil)

            let both = dc.connectionArguments + server.arguments()
            let inSync = try await aadkerb(["get"] + both + ["-o", "json"])
            #expect(inSync.status == 0, "\(inSync.stderr)")
            let a = try decodeOutput(GetOutput.self, inSync.stdout)
            #expect(a.SyncStatus == "InSync")
            #expect(a.CloudId == onPrem.Id)
            #expect(a.CloudKeyVersion == onPrem.KeyVersion)
            #expect(a.Comparison.map { !$0.isEmpty && $0.values.allSatisfy { $0 == "Match" } } == true, "\(inSync.stdout)")

            var drifted = cloud
            drifted.keyVersion += 7
            _ = try await client.put(drifted, ifMatch: published.etag)
            let d = try await aadkerb(["get"] + both + ["-o", "json"])
            #expect(d.status == 4)
            let dj = try decodeOutput(GetOutput.self, d.stdout)
            #expect(dj.SyncStatus == "Drifted")
            #expect(dj.Comparison?["KeyVersion"] == "Differ")
            #expect(dj.Comparison?["Id"] == "Match")
            let table = try await aadkerb(["get"] + both)
            #expect(table.status == 4)
            #expect(table.stdout.contains("Drift:"))
            #expect(table.stdout.contains("KeyVersion: on-prem \(onPrem.KeyVersion!), cloud \((onPrem.KeyVersion!) + 7)"))

            // split networks: each side alone
            let onPremOnly = try await aadkerb(["get"] + both + ["--on-prem-only", "-o", "json"])
            #expect(onPremOnly.status == 0)
            #expect(try decodeOutput(GetOutput.self, onPremOnly.stdout).CloudId == nil)
            let cloudOnly = try await aadkerb(["get", "--domain", dc.domain, "--cloud-only", "-o", "json"] + server.arguments(client: "reader"))
            #expect(cloudOnly.status == 0, "\(cloudOnly.stderr)")
            #expect(try decodeOutput(GetOutput.self, cloudOnly.stdout).CloudKeyVersion == (onPrem.KeyVersion!) + 7)

            try await client.delete(domain: dc.domain)
            let missing = try await aadkerb(["get"] + both + ["-o", "json"])
            #expect(missing.status == 5)
            #expect(try decodeOutput(GetOutput.self, missing.stdout).SyncStatus == "MissingInCloud")
        }

        @Test func cloudOnlyObjectIsMissingOnPrem() async throws {
            let dc = try await Fixture.shared.emptyDC("fabrikam")
            let server = try await Fixture.shared.tenant()
            let client = try server.client()
            try await client.delete(domain: dc.domain)
            _ = try await client.put(SharedServers.TenantTests.sample(dc.domain), ifMatch: nil)
            let result = try await aadkerb(["get"] + dc.connectionArguments + server.arguments() + ["-o", "json"])
            #expect(result.status == 5)
            #expect(try decodeOutput(GetOutput.self, result.stdout).SyncStatus == "MissingOnPrem")
            try await client.delete(domain: dc.domain)
            let neither = try await aadkerb(["get"] + dc.connectionArguments + server.arguments() + ["-o", "json"])
            #expect(neither.status == 3)
            #expect(try decodeOutput(GetOutput.self, neither.stdout).SyncStatus == "NotConfigured")
        }

        @Test func cloudFailuresHaveTheirOwnExitCodes() async throws {
            let dc = try await Fixture.shared.dc("fabrikam")
            let server = try await Fixture.shared.tenant()
            let badSecret = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString)").path
            try "nope\n".write(toFile: badSecret, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: badSecret)
            defer { try? FileManager.default.removeItem(atPath: badSecret) }
            var args = server.arguments()
            args[args.count - 1] = badSecret
            let auth = try await aadkerb(["get", "--domain", dc.domain, "--cloud-only"] + args)
            #expect(auth.status == 10)
            #expect(auth.stderr.contains("invalid_client"))
            #expect(!auth.stderr.contains("nope"))
            let noCreds = try await aadkerb(["get", "--domain", dc.domain, "--cloud-only", "--tenant", "contoso",
                                       "--tenant-endpoint", server.url.absoluteString])
            #expect(noCreds.status == 64)
            let http = try await aadkerb(["get", "--domain", dc.domain, "--cloud-only", "--tenant", "contoso",
                                    "--tenant-endpoint", "http://127.0.0.40:8443", "--client-id", "admin",
                                    "--client-secret-file", server.adminSecretFile])
            #expect(http.status == 64)
            #expect(http.stderr.contains("https://"))
        }
    }
}
