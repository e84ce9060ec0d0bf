import Foundation
import Testing
@testable import aadkerb_tenant_server

@Suite struct TokenTests {
    let issuer = TokenIssuer(signingKey: Array(repeating: 7, count: 32), issuerBase: "https://t", lifetime: 3600)
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aFreshTokenVerifiesWithItsClaims() throws {
        let (token, expiresIn) = issuer.issue(tenant: "contoso", clientID: "app", roles: ["r"], now: now)
        #expect(expiresIn == 3600)
        let claims = try issuer.verify(token, tenant: "contoso", now: now.addingTimeInterval(10))
        #expect(claims.sub == "app")
        #expect(claims.roles == ["r"])
        #expect(claims.iss == "https://t/contoso/v2.0")
    }

    @Test func expiryAllowsSixtySecondsOfSkewAndNoMore() throws {
        let (token, _) = issuer.issue(tenant: "contoso", clientID: "app", roles: [], now: now)
        _ = try issuer.verify(token, tenant: "contoso", now: now.addingTimeInterval(3600 + 59))
        #expect(throws: TokenIssuer.Failure.expired) { try issuer.verify(token, tenant: "contoso", now: now.addingTimeInterval(3600 + 61)) }
        #expect(throws: TokenIssuer.Failure.notYetValid) { try issuer.verify(token, tenant: "contoso", now: now.addingTimeInterval(-61)) }
    }

    @Test func anotherTenantOrKeyIsRefused() throws {
        let (token, _) = issuer.issue(tenant: "contoso", clientID: "app", roles: [], now: now)
        #expect(throws: TokenIssuer.Failure.wrongTenant) { try issuer.verify(token, tenant: "fabrikam", now: now) }
        let other = TokenIssuer(signingKey: Array(repeating: 8, count: 32), issuerBase: "https://t", lifetime: 3600)
        #expect(throws: TokenIssuer.Failure.badSignature) { try other.verify(token, tenant: "contoso", now: now) }
    }

    @Test func aTamperedPayloadIsRefused() throws {
        let (token, _) = issuer.issue(tenant: "contoso", clientID: "reader", roles: ["KerberosDomain.Read.All"], now: now)
        var parts = token.split(separator: ".").map(String.init)
        let payload = try #require(Base64URL.decode(Substring(parts[1])))
        let elevated = String(decoding: payload, as: UTF8.self).replacingOccurrences(of: "Read.All", with: "ReadWrite.All")
        parts[1] = Base64URL.encode(Array(elevated.utf8))
        #expect(throws: TokenIssuer.Failure.badSignature) { try issuer.verify(parts.joined(separator: "."), tenant: "contoso", now: now) }
    }

    @Test(arguments: ["", "a.b", "a.b.c.d", "!!.??.**"])
    func garbageIsMalformed(_ token: String) {
        #expect(throws: TokenIssuer.Failure.malformed) { try issuer.verify(token, tenant: "contoso", now: now) }
    }

    @Test func anUnsignedAlgNoneTokenIsRefused() throws {
        let (token, _) = issuer.issue(tenant: "contoso", clientID: "app", roles: [], now: now)
        let parts = token.split(separator: ".")
        let none = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8)) + "." + parts[1] + "."
        #expect(throws: TokenIssuer.Failure.malformed) { try issuer.verify(none, tenant: "contoso", now: now) }
    }

    @Test func clientSecretsAreCheckedAgainstTheirHash() {
        let hash = Crypto.sha256(Array("s3cret".utf8)).hex
        let registry = ClientRegistry(clients: [.init(tenant: "contoso", clientId: "app", secretSHA256: hash, roles: [])])
        #expect(registry.authenticate(tenant: "contoso", clientID: "app", secret: "s3cret") != nil)
        #expect(registry.authenticate(tenant: "contoso", clientID: "app", secret: "s3cret ") == nil)
        #expect(registry.authenticate(tenant: "fabrikam", clientID: "app", secret: "s3cret") == nil)
        #expect(registry.authenticate(tenant: "contoso", clientID: "other", secret: "s3cret") == nil)
    }
}
