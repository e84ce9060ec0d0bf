import Foundation
import OpenSSLSupport
import TestSupport
import Testing
@testable import aadkerb_tenant_server
import Basics

@Suite struct TokenTests {
    func makeIssuer(_ byte: UInt8 = 7) async -> TokenIssuer {
        await TokenIssuer(signingKey: Array(repeating: byte, count: 32), issuerBase: "https://t", lifetime: 3600)
    }
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aFreshTokenVerifiesWithItsClaims() async throws {
        let issuer = await makeIssuer()
        let (token, expiresIn) = await issuer.issue(tenant: "contoso", clientID: "app", roles: ["r"], now: now)
        #expect(expiresIn == 3600)
        let claims = try await issuer.verify(token, tenant: "contoso", now: now.addingTimeInterval(10))
        #expect(claims.sub == "app")
        #expect(claims.roles == ["r"])
        #expect(claims.iss == "https://t/contoso/v2.0")
    }

    @Test func expiryAllowsSixtySecondsOfSkewAndNoMore() async throws {
        let issuer = await makeIssuer()
        let (token, _) = await issuer.issue(tenant: "contoso", clientID: "app", roles: [], now: now)
        _ = try await issuer.verify(token, tenant: "contoso", now: now.addingTimeInterval(3600 + 59))
        await #expect(throws: TokenIssuer.Failure.expired) { try await issuer.verify(token, tenant: "contoso", now: now.addingTimeInterval(3600 + 61)) }
        await #expect(throws: TokenIssuer.Failure.notYetValid) { try await issuer.verify(token, tenant: "contoso", now: now.addingTimeInterval(-61)) }
    }

    @Test func anotherTenantOrKeyIsRefused() async throws {
        let issuer = await makeIssuer()
        let (token, _) = await issuer.issue(tenant: "contoso", clientID: "app", roles: [], now: now)
        await #expect(throws: TokenIssuer.Failure.wrongTenant) { try await issuer.verify(token, tenant: "fabrikam", now: now) }
        let other = await makeIssuer(8)
        await #expect(throws: TokenIssuer.Failure.badSignature) { try await other.verify(token, tenant: "contoso", now: now) }
    }

    @Test func aTamperedPayloadIsRefused() async throws {
        let issuer = await makeIssuer()
        let (token, _) = await issuer.issue(tenant: "contoso", clientID: "reader", roles: ["KerberosDomain.Read.All"], now: now)
        var parts = token.split(separator: ".").map(String.init)
        let payload = try #require(Base64URL.decode(Substring(parts[1])))
        let elevated = String(decoding: payload, as: UTF8.self).replacingOccurrences(of: "Read.All", with: "ReadWrite.All")
        parts[1] = Base64URL.encode(Array(elevated.utf8))
        await #expect(throws: TokenIssuer.Failure.badSignature) { try await issuer.verify(parts.joined(separator: "."), tenant: "contoso", now: now) }
    }

    @Test(arguments: ["", "a.b", "a.b.c.d", "!!.??.**"])
    func garbageIsMalformed(_ token: String) async {
        let issuer = await makeIssuer()
        await #expect(throws: TokenIssuer.Failure.malformed) { try await issuer.verify(token, tenant: "contoso", now: now) }
    }

    @Test func anUnsignedAlgNoneTokenIsRefused() async throws {
        let issuer = await makeIssuer()
        let (token, _) = await issuer.issue(tenant: "contoso", clientID: "app", roles: [], now: now)
        let parts = token.split(separator: ".")
        let none = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8)) + "." + parts[1] + "."
        await #expect(throws: TokenIssuer.Failure.malformed) { try await issuer.verify(none, tenant: "contoso", now: now) }
    }

    @Test func clientSecretsAreCheckedAgainstTheirHash() {
        let hash = Digest.sha256(Array("s3cret".utf8)).hex
        let registry = ClientRegistry(clients: [.init(tenant: "contoso", clientId: "app", secretSHA256: hash, roles: [])])
        #expect(registry.authenticate(tenant: "contoso", clientID: "app", secret: "s3cret") != nil)
        #expect(registry.authenticate(tenant: "contoso", clientID: "app", secret: "s3cret ") == nil)
        #expect(registry.authenticate(tenant: "fabrikam", clientID: "app", secret: "s3cret") == nil)
        #expect(registry.authenticate(tenant: "contoso", clientID: "other", secret: "s3cret") == nil)
    }
}

@Suite struct AssertionTests {
    /// A throw-away RSA key and self-signed certificate, made with the openssl command.
    static func keyAndCertificate() async throws -> (key: [UInt8], cert: [UInt8]) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("aadkerb-assert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let openssl = try await ChildProcess.run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test",
            "-keyout", dir.appendingPathComponent("k").path, "-out", dir.appendingPathComponent("c").path])
        try #require(openssl.status == 0, "openssl req: \(openssl.stderr)")
        return (Array(try Data(contentsOf: dir.appendingPathComponent("k"))), Array(try Data(contentsOf: dir.appendingPathComponent("c"))))
    }

    /// Untyped on purpose: the claims written are whatever a test needs, wrong ones included.
    static func sign(_ header: [String: Any], _ payload: [String: Any], key: [UInt8]) throws -> String {
        let input = Base64URL.encode(Array(try JSONSerialization.data(withJSONObject: header)))
            + "." + Base64URL.encode(Array(try JSONSerialization.data(withJSONObject: payload)))
        return input + "." + Base64URL.encode(try PrivateKey(pem: key).signRS256(Array(input.utf8)))
    }

    @Test func acceptsOnceThenRefusesAReplay() async throws {
        let (key, cert) = try await Self.keyAndCertificate()
        let registry = ClientRegistry(clients: [.init(tenant: "t", clientId: "app", certificatePEM: String(decoding: cert, as: UTF8.self), roles: [])])
        let verifier = AssertionVerifier()
        let now = Date()
        let t = Int(now.timeIntervalSince1970)
        let good: [String: Any] = ["iss": "app", "sub": "app", "aud": "https://x/t/oauth2/v2.0/token", "jti": "1", "exp": t + 300, "nbf": t]
        let assertion = try Self.sign(["alg": "RS256", "x5t#S256": try Certificate(pem: cert).thumbprintS256], good, key: key)
        let client = try await verifier.verify(assertion, tenant: "t", audience: "https://x/t/oauth2/v2.0/token", clientIDHint: "app", registry: registry, now: now)
        #expect(client.clientId == "app")
        await #expect(throws: AssertionVerifier.Failure.self) {
            try await verifier.verify(assertion, tenant: "t", audience: "https://x/t/oauth2/v2.0/token", clientIDHint: nil, registry: registry, now: now)
        }
    }

    @Test(arguments: ["aud", "exp", "sub", "nbf", "long-lived"])
    func refusesWrongClaims(_ claim: String) async throws {
        let (key, cert) = try await Self.keyAndCertificate()
        let registry = ClientRegistry(clients: [.init(tenant: "t", clientId: "app", certificatePEM: String(decoding: cert, as: UTF8.self), roles: [])])
        let t = Int(Date().timeIntervalSince1970)
        var payload: [String: Any] = ["iss": "app", "sub": "app", "aud": "https://x/t/oauth2/v2.0/token", "jti": UUID().uuidString, "exp": t + 300]
        switch claim {
        case "aud": payload["aud"] = "https://elsewhere/token"
        case "exp": payload["exp"] = 0
        case "sub": payload["sub"] = "someone-else"
        case "nbf": payload["nbf"] = t + 3600
        default: payload["exp"] = t + 7200
        }
        let assertion = try Self.sign(["alg": "RS256"], payload, key: key)
        await #expect(throws: AssertionVerifier.Failure.self) {
            try await AssertionVerifier().verify(assertion, tenant: "t", audience: "https://x/t/oauth2/v2.0/token", clientIDHint: nil, registry: registry)
        }
    }
}
