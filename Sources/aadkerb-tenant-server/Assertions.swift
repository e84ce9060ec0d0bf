import Foundation
import JWTKit
import OpenSSLSupport

/// Verifies client assertions (RFC 7523): RS256 JWTs signed with the key of a certificate
/// registered for the client (jwt-kit verifies the signature). Each assertion is accepted once
/// (its `jti` is remembered until it expires), its audience must be this token endpoint, and it
/// may live at most an hour.
actor AssertionVerifier {
    private var used: [String: Int] = [:]

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    /// Every claim optional: a missing one gets its own message below, not "not a JWT".
    struct Claims: JWTPayload {
        var iss: IssuerClaim?
        var sub: SubjectClaim?
        var aud: AudienceClaim?
        var exp: ExpirationClaim?
        var nbf: NotBeforeClaim?
        var jti: IDClaim?

        /// Checked in `AssertionVerifier.verify`, against the caller's clock and registry.
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    func verify(_ assertion: String, tenant: String, audience: String, clientIDHint: String?,
                registry: ClientRegistry, now: Date = Date()) async throws -> ClientRegistry.Client {
        // Unverified first: the issuer names the client, hence the certificate to verify with.
        let header: JWTHeader, payload: Claims
        do {
            let parsed = try TokenIssuer.parser.parse(Array(assertion.utf8), as: Claims.self)
            header = parsed.header
            payload = parsed.payload
        } catch {
            throw Failure("the client assertion is not a well-formed JWT")
        }
        guard header.alg == "RS256" else { throw Failure("the client assertion must be signed RS256") }
        guard let iss = payload.iss?.value, payload.sub?.value == iss else {
            throw Failure("the client assertion's iss and sub must both be the client id")
        }
        if let hint = clientIDHint, hint != iss { throw Failure("client_id \(hint) does not match the assertion's issuer \(iss)") }
        guard let client = registry.clients.first(where: { $0.tenant == tenant && $0.clientId == iss && $0.certificatePEM != nil }),
              let pem = client.certificatePEM, let certificate = try? Certificate(pem: Array(pem.utf8)),
              let publicKey = try? Insecure.RSA.PublicKey(certificatePEM: pem)
        else { throw Failure("no certificate is registered for client \(iss) in tenant \(tenant)") }
        if let thumbprint = header.x5tS256, thumbprint != certificate.thumbprintS256 {
            throw Failure("the assertion names another certificate (x5t#S256 \(thumbprint))")
        }
        let keys = JWTKeyCollection(defaultJWTParser: TokenIssuer.parser)
        await keys.add(rsa: publicKey, digestAlgorithm: .sha256, parser: TokenIssuer.parser)
        guard (try? await keys.verify(assertion, as: Claims.self)) != nil else {
            throw Failure("the client assertion's signature does not verify with the registered certificate")
        }
        guard payload.aud?.value.contains(audience) == true else { throw Failure("the client assertion's audience must be \(audience)") }
        let t = Int(now.timeIntervalSince1970)
        guard let exp = payload.exp.map({ Int($0.value.timeIntervalSince1970) }), exp + 60 > t else { throw Failure("the client assertion has expired") }
        guard exp - t <= 3600 else { throw Failure("the client assertion may be valid for an hour at most") }
        if let nbf = payload.nbf.map({ Int($0.value.timeIntervalSince1970) }), nbf - 60 > t { throw Failure("the client assertion is not valid yet") }
        guard let jti = payload.jti?.value, !jti.isEmpty else { throw Failure("the client assertion has no jti") }
        used = used.filter { $0.value + 60 > t }
        guard used[jti] == nil else { throw Failure("the client assertion was already used (jti \(jti))") }
        used[jti] = exp
        return client
    }
}
