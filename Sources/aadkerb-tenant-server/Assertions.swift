import Foundation
import OpenSSLSupport

/// Verifies client assertions (RFC 7523): RS256 JWTs signed with the key of a certificate
/// registered for the client. Each assertion is accepted once (its `jti` is remembered until it
/// expires), its audience must be this token endpoint, and it may live at most an hour.
actor AssertionVerifier {
    private var used: [String: Int] = [:]

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    func verify(_ assertion: String, tenant: String, audience: String, clientIDHint: String?,
                registry: ClientRegistry, now: Date = Date()) throws -> ClientRegistry.Client {
        let parts = assertion.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(parts[0]), let payloadBytes = Base64URL.decode(parts[1]),
              let signature = Base64URL.decode(parts[2]),
              let header = try? JSONSerialization.jsonObject(with: Data(headerBytes)) as? [String: Any],
              let payload = try? JSONSerialization.jsonObject(with: Data(payloadBytes)) as? [String: Any]
        else { throw Failure("the client assertion is not a well-formed JWT") }
        guard header["alg"] as? String == "RS256" else { throw Failure("the client assertion must be signed RS256") }
        guard let iss = payload["iss"] as? String, payload["sub"] as? String == iss else {
            throw Failure("the client assertion's iss and sub must both be the client id")
        }
        if let hint = clientIDHint, hint != iss { throw Failure("client_id \(hint) does not match the assertion's issuer \(iss)") }
        guard let client = registry.clients.first(where: { $0.tenant == tenant && $0.clientId == iss && $0.certificatePEM != nil }),
              let pem = client.certificatePEM, let certificate = try? Certificate(pem: Array(pem.utf8))
        else { throw Failure("no certificate is registered for client \(iss) in tenant \(tenant)") }
        if let thumbprint = header["x5t#S256"] as? String, thumbprint != certificate.thumbprintS256 {
            throw Failure("the assertion names another certificate (x5t#S256 \(thumbprint))")
        }
        guard certificate.verifyRS256(signature: signature, over: Array("\(parts[0]).\(parts[1])".utf8)) else {
            throw Failure("the client assertion's signature does not verify with the registered certificate")
        }
        let audiences = (payload["aud"] as? String).map { [$0] } ?? (payload["aud"] as? [String] ?? [])
        guard audiences.contains(audience) else { throw Failure("the client assertion's audience must be \(audience)") }
        let t = Int(now.timeIntervalSince1970)
        guard let exp = payload["exp"] as? Int, exp + 60 > t else { throw Failure("the client assertion has expired") }
        guard exp - t <= 3600 else { throw Failure("the client assertion may be valid for an hour at most") }
        if let nbf = payload["nbf"] as? Int, nbf - 60 > t { throw Failure("the client assertion is not valid yet") }
        guard let jti = payload["jti"] as? String, !jti.isEmpty else { throw Failure("the client assertion has no jti") }
        used = used.filter { $0.value + 60 > t }
        guard used[jti] == nil else { throw Failure("the client assertion was already used (jti \(jti))") }
        used[jti] = exp
        return client
    }
}
