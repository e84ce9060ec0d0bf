import Foundation
import TenantAPI
import Testing

extension SharedServers {
    /// The tenant contract checked from outside (issue 14, item 4): schemathesis runs every phase
    /// of docs/openapi.yaml against the fixture's reference server (127.0.0.40:8443, real TLS), and
    /// the server behaviours the contract pins down are checked one by one with curl.
    /// In SharedServers: schemathesis writes to the shared server's store.
    @Suite struct ContractTests {
        /// One request with curl: the token (when given) and the body go through 0600 files, never argv.
        struct Answer {
            var status: Int
            var headers: [String: String]
            var body: String
        }

        static func request(_ server: TenantServerInstance, _ method: String, _ path: String, token: String? = nil,
                            headers: [String] = [], body: String? = nil) async throws -> Answer {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("aadkerb-contract-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            defer { try? FileManager.default.removeItem(at: dir) }
            var arguments = ["-s", "--cacert", server.env["TENANT_CA"]!, "-X", method, "-D", dir.appendingPathComponent("h").path,
                             "-o", dir.appendingPathComponent("b").path, "-w", "%{http_code}"]
            var lines = headers
            if let token { lines.append("Authorization: Bearer \(token)") }
            if !lines.isEmpty {
                FileManager.default.createFile(atPath: dir.appendingPathComponent("req").path,
                                               contents: Data(lines.map { $0 + "\n" }.joined().utf8), attributes: [.posixPermissions: 0o600])
                arguments += ["-H", "@" + dir.appendingPathComponent("req").path]
            }
            if let body {
                try Data(body.utf8).write(to: dir.appendingPathComponent("body"))
                arguments += ["--data-binary", "@" + dir.appendingPathComponent("body").path]
            }
            let r = try await run(URL(fileURLWithPath: "/usr/bin/curl"), arguments + [server.url.absoluteString + path])
            guard r.status == 0, let status = Int(r.stdout) else { throw FixtureError("curl \(method) \(path): \(r.status) \(r.stderr)") }
            var fields: [String: String] = [:]
            let raw = (try? String(contentsOf: dir.appendingPathComponent("h"), encoding: .utf8)) ?? ""
            for line in raw.split(whereSeparator: \.isNewline) {
                guard let colon = line.firstIndex(of: ":") else { continue }
                fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            return Answer(status: status, headers: fields,
                          body: (try? String(contentsOf: dir.appendingPathComponent("b"), encoding: .utf8)) ?? "")
        }

        /// A client-credentials token of `client`, its secret read from its 0600 file into curl's stdin.
        static func token(_ server: TenantServerInstance, client: String = "admin") async throws -> String {
            let secret = try String(contentsOfFile: client == "admin" ? server.adminSecretFile : server.readerSecretFile, encoding: .utf8)
                .trimmingCharacters(in: .newlines)
            let r = try await run(URL(fileURLWithPath: "/usr/bin/curl"),
                            ["-sf", "--cacert", server.env["TENANT_CA"]!, "--data-binary", "@-", server.url.absoluteString + "/\(server.tenant)/oauth2/v2.0/token"],
                            stdin: "grant_type=client_credentials&client_id=\(client)&client_secret=\(secret)")
            try #require(r.status == 0, "no token: \(r.stderr)")
            return try JSONDecoder().decode(TokenResponse.self, from: Data(r.stdout.utf8)).access_token
        }

        static func domainsPath(_ server: TenantServerInstance, _ domain: String = "") -> String {
            "/v1/tenants/\(server.tenant)/kerberosDomains" + (domain.isEmpty ? "" : "/" + domain)
        }

        static func freshDomain() -> String { "c\(UUID().uuidString.prefix(8).lowercased()).example.test" }

        static let body = #"{"id": 7080, "displayName": "krbtgt_7080", "keyVersion": 4080}"#

        // MARK: what schemathesis found, one by one

        @Test func aKnownPathWithAnotherMethodIs405WithAllow() async throws {
            let server = try await Fixture.shared.tenant()
            let token = try await Self.token(server)
            let domain = Self.domainsPath(server, "contoso.corp.com")
            for method in ["TRACE", "PATCH", "POST", "OPTIONS"] {
                let answer = try await Self.request(server, method, domain, token: token)
                #expect(answer.status == 405, "\(method): \(answer.status) \(answer.body)")
                #expect(answer.headers["allow"] == "GET, PUT, DELETE", "\(method): \(answer.headers)")
                #expect(answer.headers["content-type"] == "application/problem+json")
            }
            // without a token too: the method is wrong whoever asks
            let token405 = try await Self.request(server, "TRACE", "/\(server.tenant)/oauth2/v2.0/token")
            #expect(token405.status == 405 && token405.headers["allow"] == "POST", "\(token405)")
            let list = try await Self.request(server, "DELETE", Self.domainsPath(server), token: token)
            #expect(list.status == 405 && list.headers["allow"] == "GET", "\(list)")
            let tickets = try await Self.request(server, "GET", Self.domainsPath(server, "contoso.corp.com") + "/partialTickets", token: token)
            #expect(tickets.status == 405 && tickets.headers["allow"] == "POST", "\(tickets)")
            let faults = try await Self.request(server, "GET", "/_emulator/faults")
            #expect(faults.status == 405 && faults.headers["allow"] == "POST, DELETE", "\(faults)")
            // an unknown path is still 404, as problem details
            let unknown = try await Self.request(server, "GET", "/v1/tenants/\(server.tenant)/nothing", token: token)
            #expect(unknown.status == 404 && unknown.headers["content-type"] == "application/problem+json", "\(unknown)")
        }

        @Test func ifMatchIsStarOrOneETagAndAnythingElseIs400ForPutAndDelete() async throws {
            let server = try await Fixture.shared.tenant()
            let token = try await Self.token(server)
            let domain = Self.freshDomain(), path = Self.domainsPath(server, domain)
            // If-Match: * on nothing: the precondition fails (it used to create the object)
            let star = try await Self.request(server, "PUT", path, token: token, headers: ["If-Match: *", "Content-Type: application/json"], body: Self.body)
            #expect(star.status == 412, "\(star)")
            #expect(try await Self.request(server, "GET", path, token: token).status == 404)
            let created = try await Self.request(server, "PUT", path, token: token, headers: ["If-None-Match: *", "Content-Type: application/json"], body: Self.body)
            #expect(created.status == 201 && created.headers["etag"] == "\"1\"", "\(created)")
            // empty, weak, a list, garbage: 400 for PUT and DELETE alike, before the body is read
            for value in ["", "W/\"1\"", "\"1\", \"2\"", "1", "\"\"", "\"99999999999999999999\""] {
                let header = value.isEmpty ? "If-Match;" : "If-Match: \(value)"  // curl sends an empty header given "Name;"
                let put = try await Self.request(server, "PUT", path, token: token, headers: [header, "Content-Type: application/json"], body: Self.body)
                #expect(put.status == 400, "PUT If-Match '\(value)': \(put)")
                let putBadBody = try await Self.request(server, "PUT", path, token: token, headers: [header], body: "not json")
                #expect(putBadBody.status == 400 && putBadBody.body.contains("If-Match"), "PUT If-Match '\(value)': \(putBadBody)")
                let delete = try await Self.request(server, "DELETE", path, token: token, headers: [header])
                #expect(delete.status == 400 && delete.body.contains("If-Match"), "DELETE If-Match '\(value)': \(delete)")
            }
            #expect(try await Self.request(server, "GET", path, token: token).headers["etag"] == "\"1\"", "a malformed precondition wrote")
            // If-None-Match other than *: 400, not a silent 428
            let noneMatch = try await Self.request(server, "PUT", path, token: token, headers: ["If-None-Match: \"1\""], body: Self.body)
            #expect(noneMatch.status == 400, "\(noneMatch)")
            // neither header: 428
            #expect(try await Self.request(server, "PUT", path, token: token, body: Self.body).status == 428)
            // * on an existing object replaces it; a stale ETag is 412; the right one deletes
            let replaced = try await Self.request(server, "PUT", path, token: token, headers: ["If-Match: *"], body: Self.body)
            #expect(replaced.status == 200 && replaced.headers["etag"] == "\"2\"", "\(replaced)")
            #expect(try await Self.request(server, "DELETE", path, token: token, headers: ["If-Match: \"1\""]).status == 412)
            #expect(try await Self.request(server, "DELETE", path, token: token, headers: ["If-Match: \"2\""]).status == 204)
            #expect(try await Self.request(server, "DELETE", path, token: token, headers: ["If-Match: *"]).status == 404)
        }

        @Test func aDomainOutsideThePatternIs400OnEveryOperation() async throws {
            let server = try await Fixture.shared.tenant()
            let token = try await Self.token(server)
            for bad in ["-bad.example.test", "bad-.example.test", "a..b", "a.", "under_score.test", String(repeating: "a", count: 64) + ".test",
                        Array(repeating: "abcdefghi", count: 26).joined(separator: ".")] {
                let path = Self.domainsPath(server, bad)
                #expect(try await Self.request(server, "GET", path, token: token).status == 400, "GET \(bad)")
                #expect(try await Self.request(server, "PUT", path, token: token, headers: ["If-None-Match: *"], body: Self.body).status == 400, "PUT \(bad)")
                #expect(try await Self.request(server, "DELETE", path, token: token).status == 400, "DELETE \(bad)")
                let ticket = try await Self.request(server, "POST", path + "/partialTickets", token: token,
                                              body: #"{"onPremisesSamAccountName": "u", "onPremisesSecurityIdentifier": "S-1-5-21-1-2-3-1013"}"#)
                #expect(ticket.status == 400, "POST partialTickets \(bad): \(ticket)")
            }
            // the longest names the pattern allows are names: 63-character labels, 253 characters
            let longest = Array(repeating: String(repeating: "a", count: 63), count: 3).joined(separator: ".") + "." + String(repeating: "b", count: 61)
            #expect(longest.count == 253)
            #expect(try await Self.request(server, "GET", Self.domainsPath(server, longest), token: token).status == 404)
        }

        @Test func thePutBodyMayLeaveTheDomainOutButNotContradictTheURL() async throws {
            let server = try await Fixture.shared.tenant()
            let token = try await Self.token(server)
            let domain = Self.freshDomain(), path = Self.domainsPath(server, domain)
            let created = try await Self.request(server, "PUT", path, token: token, headers: ["If-None-Match: *"], body: Self.body)
            #expect(created.status == 201, "\(created)")
            #expect(try JSONDecoder().decode(TenantDomainSummary.self, from: Data(created.body.utf8)).domainDnsName == domain)
            let other = #"{"domainDnsName": "other.example.test", "id": 7080, "displayName": "krbtgt_7080", "keyVersion": 4080}"#
            let contradicted = try await Self.request(server, "PUT", path, token: token, headers: ["If-Match: \"1\""], body: other)
            #expect(contradicted.status == 400 && contradicted.body.contains("does not match"), "\(contradicted)")
            let upper = #"{"domainDnsName": "\#(domain.uppercased())", "id": 7080, "displayName": "krbtgt_7080", "keyVersion": 4081}"#
            #expect(try await Self.request(server, "PUT", path, token: token, headers: ["If-Match: \"1\""], body: upper).status == 200)
            for body in ["[]", "7", #"{"id": "7080", "displayName": "krbtgt_7080", "keyVersion": 4080}"#, #"{"id": 7080, "displayName": "", "keyVersion": 4080}"#] {
                let refused = try await Self.request(server, "PUT", path, token: token, headers: ["If-Match: \"2\""], body: body)
                #expect(refused.status == 400 && refused.headers["content-type"] == "application/problem+json", "\(body): \(refused)")
            }
            #expect(try await Self.request(server, "DELETE", path, token: token).status == 204)
        }

        @Test func aSIDOutsideThePatternIs400() async throws {
            let server = try await Fixture.shared.tenant()
            let token = try await Self.token(server)
            let path = Self.domainsPath(server, Self.freshDomain()) + "/partialTickets"
            func status(_ sid: String, name: String = "user") async throws -> Int {
                try await Self.request(server, "POST", path, token: token,
                                 body: #"{"onPremisesSamAccountName": "\#(name)", "onPremisesSecurityIdentifier": "\#(sid)"}"#).status
            }
            // within the pattern: on to the domain, which does not exist
            #expect(try await status("S-1-5-21-3623811015-3361044348-30300820-1013") == 404)
            #expect(try await status("S-1-5-4294967295-0") == 404)
            #expect(try await status("S-1-5-21-1-2-3-1013", name: String(repeating: "é", count: 256)) == 404)
            // outside: leading zeros and signs (which Swift's integer parsing takes), a sub-authority
            // beyond 32 bits, one sub-authority only, lower case, too long a name
            for sid in ["S-1-5-021-1", "S-1-+5-21-1", "S-1-5-+21-1", "S-1-5-4294967296-1", "S-1-5-21", "s-1-5-21-1", "S-2-5-21-1"] {
                #expect(try await status(sid) == 400, "\(sid)")
            }
            #expect(try await status("S-1-5-21-1-2-3-1013", name: String(repeating: "é", count: 257)) == 400)
            #expect(try await status("S-1-5-21-1-2-3-1013", name: "") == 400)
        }

        @Test func anEmulatorBodyThatDoesNotDecodeIs400NotA500() async throws {
            let server = try await Fixture.shared.tenant()
            let secret = try String(contentsOfFile: server.env["TENANT_EMULATOR_HEADER_FILE"]!, encoding: .utf8).trimmingCharacters(in: .newlines)
            for route in ["/_emulator/faults", "/_emulator/device/approve"] {
                let answer = try await Self.request(server, "POST", route, headers: [secret], body: #"{"times": "many"}"#)
                #expect(answer.status == 400 && answer.headers["content-type"] == "application/problem+json", "\(route): \(answer)")
            }
            try await server.clearFaults()
        }

        // MARK: the contract, from outside

        /// schemathesis (pinned in scripts/install-deps), all four phases, settings in
        /// Tests/Fixtures/schemathesis.toml; bounded (max-time there, and killed here after 300 s).
        /// The objects that were there before are left as they were; what the run created is removed.
        @Test func schemathesisFindsNoFailureInAnyPhase() async throws {
            let server = try await Fixture.shared.tenant()
            let token = try await Self.token(server)
            func objects() async throws -> [String: String] {
                let list = try await Self.request(server, "GET", Self.domainsPath(server), token: token)
                try #require(list.status == 200, "\(list)")
                let values = try JSONDecoder().decode(TenantDomainList.self, from: Data(list.body.utf8)).value
                return Dictionary(values.map { ($0.domainDnsName, $0.updatedOn ?? "") }) { a, _ in a }
            }
            let before = try await objects()
            let report = FileManager.default.temporaryDirectory.appendingPathComponent("aadkerb-schemathesis-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: report, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            defer { try? FileManager.default.removeItem(at: report) }
            // `st`, run by the python3 that scripts/install-deps installed it into (whatever its bin directory)
            let child = try await spawn(URL(fileURLWithPath: "/usr/bin/env"),
                                  ["python3", "-c", "import sys; from schemathesis.cli import schemathesis; sys.argv[0] = 'st'; sys.exit(schemathesis())",
                                   "--no-color", "--config-file", Paths.packageRoot.appendingPathComponent("Tests/Fixtures/schemathesis.toml").path,
                                   "run", Paths.packageRoot.appendingPathComponent("docs/openapi.yaml").path,
                                   "--report", "junit", "--report-junit-path", report.appendingPathComponent("junit.xml").path],
                                  environment: ["CONTRACT_URL": server.url.absoluteString, "CONTRACT_CA": server.env["TENANT_CA"]!,
                                                "CONTRACT_TENANT": server.tenant, "CONTRACT_TOKEN": token])
            let result = try #require(try await child.wait(deadline: .seconds(300)), "schemathesis ran over 300 s and was killed")
            let output = result.stdout + result.stderr
            #expect(result.status == 0, "schemathesis failed (exit \(result.status)):\n\(output.suffix(12000))")
            #expect(!output.contains(token), "the token was printed")
            // it did test: every operation, many cases, no failure
            let junit = (try? String(contentsOf: report.appendingPathComponent("junit.xml"), encoding: .utf8)) ?? ""
            #expect(junit.contains("<testsuite") && !junit.contains("<failure") && !junit.contains("<error"), "\(junit.prefix(4000))")
            // the summary: "Test cases:" then "  12079 generated, 12079 passed, 890 skipped"
            let cases = output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .first { $0.split(separator: " ").count > 1 && Int($0.split(separator: " ")[0]) != nil && $0.split(separator: " ")[1].hasPrefix("generated") } ?? ""
            let generated = Int(cases.split(separator: " ").first ?? "") ?? 0
            #expect(generated >= 300, "too few cases: \(cases)\n\(output.suffix(3000))")
            print("schemathesis: \(cases) in \(Int(result.elapsed.seconds)) s")

            // the fixture's objects are as they were; what schemathesis made goes
            let after = try await objects()
            for (domain, updated) in before { #expect(after[domain] == updated, "schemathesis changed or removed \(domain)") }
            for domain in after.keys where before[domain] == nil {
                _ = try await Self.request(server, "DELETE", Self.domainsPath(server, domain), token: token)
            }
        }
    }
}
