import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OpenSSLSupport
import TestSupport
import TenantAPI
import Testing
@testable import aadkerb_tenant_server
import Basics

/// A data directory, a clients file, a TLS certificate and an emulator secret in a fresh
/// temporary directory: the arguments `buildApplication` takes from the command line.
struct TestArgumentsFailure: Error, CustomStringConvertible { let description: String }

struct TestArguments: AppArguments {
    let root: URL
    var host = "127.0.0.1"
    var port = 0
    var tlsCert: String { root.appendingPathComponent("cert.pem").path }
    var tlsKey: String { root.appendingPathComponent("key.pem").path }
    var data: String { root.appendingPathComponent("data").path }
    var clients: String { root.appendingPathComponent("clients.json").path }
    var tokenLifetime = 3600
    var issuer: String? = "https://tenant.test"
    var deviceCodeInterval = 5
    var deviceCodeLifetime = 900
    var enableFaultInjection = false
    var emulatorSecretFile: String? = nil
    var signingKeyRotationDays = 30
    var rotateSigningKey = false
    var tokenRequestsPerMinute = 60

    static let adminSecret = "admin-" + UUID().uuidString
    static let readerSecret = "reader-" + UUID().uuidString
    static let emulatorSecret = UUID().uuidString

    init(faults: Bool = false) async throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("aadkerb-router-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let openssl = try await ChildProcess.run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-keyout", root.appendingPathComponent("key.pem").path, "-out", root.appendingPathComponent("cert.pem").path])
        guard openssl.status == 0 else { throw TestArgumentsFailure(description: "openssl req: \(openssl.stderr)") }
        func hash(_ s: String) -> String { Digest.sha256(Array(s.utf8)).hex }
        let clients: [String: Any] = ["clients": [  // written, not read: the clients file the server loads
            ["tenant": "contoso", "clientId": "admin", "secretSHA256": hash(Self.adminSecret),
             "roles": ["KerberosDomain.ReadWrite.All", "KerberosTicket.Issue.All"]],
            ["tenant": "contoso", "clientId": "reader", "secretSHA256": hash(Self.readerSecret), "roles": ["KerberosDomain.Read.All"]],
            ["tenant": "fabrikam", "clientId": "admin", "secretSHA256": hash(Self.adminSecret), "roles": ["KerberosDomain.ReadWrite.All"]],
        ]]
        try JSONSerialization.data(withJSONObject: clients).write(to: root.appendingPathComponent("clients.json"))
        if faults {
            enableFaultInjection = true
            let file = root.appendingPathComponent("emulator.secret").path
            try SecureFile.create(file, Array((Self.emulatorSecret + "\n").utf8))
            emulatorSecretFile = file
        }
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}

extension TestClientProtocol {
    /// A client-credentials token of `client` for `tenant`, through the token endpoint.
    func token(_ client: String = "admin", tenant: String = "contoso", secret: String = TestArguments.adminSecret) async throws -> String {
        try await execute(uri: "/\(tenant)/oauth2/v2.0/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                          body: ByteBuffer(string: "grant_type=client_credentials&client_id=\(client)&client_secret=\(secret)")) { response in
            #expect(response.status == .ok)
            let answer = try JSONDecoder().decode(TokenResponse.self, from: Data(buffer: response.body))
            #expect(answer.token_type == "Bearer" && answer.expires_in > 0)
            return answer.access_token
        }
    }
}

func bearer(_ token: String, _ more: HTTPFields = [:]) -> HTTPFields {
    var fields = more
    fields[.authorization] = "Bearer \(token)"
    return fields
}

/// A problem+json answer (RFC 9457) through the tenant API's wire type; its status is the response's.
func problem(_ response: TestResponse) throws -> Problem {
    #expect(response.headers[.contentType] == "application/problem+json")
    let problem = try JSONDecoder().decode(Problem.self, from: Data(buffer: response.body))
    #expect(problem.status == Int(response.status.code), "\(problem)")
    return problem
}

/// An OAuth2 error answer of the token endpoint (RFC 6749 5.2).
struct OAuthError: Decodable {
    let error: String
    let error_description: String?
}

/// The router in process (HummingbirdTesting's `.router`: no socket, no TLS), built by the same
/// `buildApplication` as the server: routes, middleware order and problem+json answers.
@Suite struct RouterTests {
    let domainBody = ByteBuffer(string: #"{"id": 7080, "displayName": "krbtgt_7080", "keyVersion": 4080}"#)
    let domainURI = "/v1/tenants/contoso/kerberosDomains/contoso.corp.com"

    @Test func healthzAnswersOk() async throws {
        let arguments = try await TestArguments()
        defer { arguments.remove() }
        try await buildApplication(arguments).test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "ok")
            }
        }
    }

    @Test func theTokenEndpointRefusesAWrongSecretAsOAuth2Does() async throws {
        let arguments = try await TestArguments()
        defer { arguments.remove() }
        try await buildApplication(arguments).test(.router) { client in
            try await client.execute(uri: "/contoso/oauth2/v2.0/token", method: .post,
                                     body: ByteBuffer(string: "grant_type=client_credentials&client_id=admin&client_secret=wrong")) { response in
                #expect(response.status == .unauthorized)
                let answer = try JSONDecoder().decode(OAuthError.self, from: Data(buffer: response.body))
                #expect(answer.error == "invalid_client")
            }
            try await client.execute(uri: "/contoso/oauth2/v2.0/token", method: .post, body: ByteBuffer(string: "grant_type=password")) { response in
                #expect(response.status == .badRequest)
                let answer = try JSONDecoder().decode(OAuthError.self, from: Data(buffer: response.body))
                #expect(answer.error == "unsupported_grant_type")
            }
        }
    }

    @Test func theBearerTokenMiddlewareAnswers401And403AsProblems() async throws {
        let arguments = try await TestArguments()
        defer { arguments.remove() }
        try await buildApplication(arguments).test(.router) { client in
            let list = "/v1/tenants/contoso/kerberosDomains"
            try await client.execute(uri: list, method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == #"Bearer error="invalid_token""#)
                let detail = try problem(response).detail
                #expect(detail == "a Bearer access token is required")
            }
            try await client.execute(uri: list, method: .get, headers: bearer("not.a.token")) { response in
                #expect(response.status == .unauthorized)
                let detail = try problem(response).detail
                #expect(detail == TokenIssuer.Failure.malformed.description)
            }
            // a token of another tenant does not open this one
            let fabrikam = try await client.token(tenant: "fabrikam")
            try await client.execute(uri: list, method: .get, headers: bearer(fabrikam)) { response in
                #expect(response.status == .unauthorized)
                let detail = try problem(response).detail
                #expect(detail == TokenIssuer.Failure.wrongTenant.description)
            }
            let reader = try await client.token("reader", secret: TestArguments.readerSecret)
            try await client.execute(uri: list, method: .get, headers: bearer(reader)) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"value":[]}"#)
            }
            try await client.execute(uri: domainURI, method: .put, headers: bearer(reader, [.ifNoneMatch: "*"]), body: domainBody) { response in
                #expect(response.status == .forbidden)
                let detail = try problem(response).detail
                #expect(detail == "client reader lacks the role KerberosDomain.ReadWrite.All")
            }
        }
    }

    @Test func aBadDomainNameIs400BeforeAMissingTokenIs401() async throws {
        let arguments = try await TestArguments()
        defer { arguments.remove() }
        try await buildApplication(arguments).test(.router) { client in
            try await client.execute(uri: "/v1/tenants/contoso/kerberosDomains/not_a-dns..name", method: .get) { response in
                #expect(response.status == .badRequest)
                let status = try problem(response).status
                #expect(status == 400)
            }
        }
    }

    @Test func aDomainIsCreatedReadReplacedAndDeletedUnderItsETag() async throws {
        let arguments = try await TestArguments()
        defer { arguments.remove() }
        try await buildApplication(arguments).test(.router) { client in
            let token = try await client.token()
            try await client.execute(uri: domainURI, method: .put, headers: bearer(token), body: domainBody) { response in
                #expect(response.status == .init(code: 428))
            }
            try await client.execute(uri: domainURI, method: .put, headers: bearer(token, [.ifNoneMatch: "*"]), body: domainBody) { response in
                #expect(response.status == .created)
                #expect(response.headers[.eTag] == "\"1\"")
                #expect(response.headers[.cacheControl] == "no-store")
            }
            try await client.execute(uri: domainURI, method: .put, headers: bearer(token, [.ifNoneMatch: "*"]), body: domainBody) { response in
                #expect(response.status == .conflict)
            }
            try await client.execute(uri: domainURI, method: .put, headers: bearer(token, [.ifMatch: "\"1\""]), body: domainBody) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.eTag] == "\"2\"")
            }
            try await client.execute(uri: domainURI, method: .get, headers: bearer(token)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.eTag] == "\"2\"")
                let domain = try JSONDecoder().decode(KerberosDomain.self, from: Data(buffer: response.body))
                #expect(domain.domainDnsName == "contoso.corp.com")
            }
            try await client.execute(uri: domainURI, method: .delete, headers: bearer(token, [.ifMatch: "\"1\""])) { response in
                #expect(response.status == .preconditionFailed)
                let detail = try problem(response).detail
                #expect(detail == "contoso.corp.com changed since it was read (now version 2)")
            }
            try await client.execute(uri: domainURI, method: .delete, headers: bearer(token, [.ifMatch: "\"2\""])) { response in
                #expect(response.status == .noContent)
            }
            try await client.execute(uri: domainURI, method: .get, headers: bearer(token)) { response in
                #expect(response.status == .notFound)
                _ = try problem(response)
            }
        }
    }

    @Test func aKnownPathWithAnotherMethodIs405WithAllowAndAnUnknownPathIs404() async throws {
        let arguments = try await TestArguments()
        defer { arguments.remove() }
        try await buildApplication(arguments).test(.router) { client in
            try await client.execute(uri: domainURI, method: .patch) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, PUT, DELETE")
                _ = try problem(response)
            }
            try await client.execute(uri: "/contoso/oauth2/v2.0/token", method: .get) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "POST")
            }
            try await client.execute(uri: "/v1/tenants/contoso/nothing", method: .get) { response in
                #expect(response.status == .notFound)
                _ = try problem(response)
            }
            // without fault injection the emulator routes do not exist
            try await client.execute(uri: "/_emulator/faults", method: .post) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func injectedFaultsNeedTheSecretAndApplyBeforeTheRoute() async throws {
        let arguments = try await TestArguments(faults: true)
        defer { arguments.remove() }
        try await buildApplication(arguments).test(.router) { client in
            let rule = ByteBuffer(string: #"{"method": "GET", "pathPrefix": "/v1/tenants/contoso/kerberosDomains", "status": 503, "retryAfter": 7}"#)
            try await client.execute(uri: "/_emulator/faults", method: .post, body: rule) { response in
                #expect(response.status == .forbidden)
            }
            let secret: HTTPFields = [HTTPField.Name("X-Emulator-Secret")!: TestArguments.emulatorSecret]
            try await client.execute(uri: "/_emulator/faults", method: .post, headers: secret, body: ByteBuffer(string: "[]")) { response in
                #expect(response.status == .badRequest)
                _ = try problem(response)
            }
            try await client.execute(uri: "/_emulator/faults", method: .post, headers: secret, body: rule) { response in
                #expect(response.status == .noContent)
            }
            // before the token check: the fault answers even an unauthenticated request, once
            try await client.execute(uri: "/v1/tenants/contoso/kerberosDomains", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "7")
                _ = try problem(response)
            }
            try await client.execute(uri: "/v1/tenants/contoso/kerberosDomains", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }
}
