import Foundation
import OpenSSLSupport

/// Access tokens: compact JWS (RFC 7515/7519), HS256, signed with the newest of the server's
/// signing keys (sealed under the master key in its store, so tokens survive a restart; see
/// SigningKeys) and named by `kid`; older keys still verify the tokens they signed until those
/// expire. Verification checks the signature in constant time, the audience, the tenant, and the
/// validity window with 60 s of clock skew.
struct TokenIssuer: Sendable {
    static let audience = "api://aadkerb-tenant"
    /// kid -> key; `currentKid` signs.
    let keys: [String: [UInt8]]
    let currentKid: String
    let issuerBase: String
    let lifetime: TimeInterval

    init(keys: [String: [UInt8]], currentKid: String, issuerBase: String, lifetime: TimeInterval) {
        self.keys = keys
        self.currentKid = currentKid
        self.issuerBase = issuerBase
        self.lifetime = lifetime
    }

    /// One key (tests).
    init(signingKey: [UInt8], issuerBase: String, lifetime: TimeInterval) {
        self.init(keys: ["k0": signingKey], currentKid: "k0", issuerBase: issuerBase, lifetime: lifetime)
    }

    struct Claims: Codable, Sendable {
        var iss: String
        var aud: String
        var sub: String
        var tid: String
        var roles: [String]
        var iat: Int
        var nbf: Int
        var exp: Int
        var jti: String
    }

    func issue(tenant: String, clientID: String, roles: [String], now: Date = Date()) -> (token: String, expiresIn: Int) {
        let t = Int(now.timeIntervalSince1970)
        let claims = Claims(iss: "\(issuerBase)/\(tenant)/v2.0", aud: Self.audience, sub: clientID, tid: tenant,
                            roles: roles, iat: t, nbf: t, exp: t + Int(lifetime), jti: UUID().uuidString)
        let header = Base64URL.encode(Array(#"{"alg":"HS256","kid":"\#(currentKid)","typ":"JWT"}"#.utf8))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let payload = Base64URL.encode(Array(try! encoder.encode(claims)))
        let signature = Base64URL.encode(HMAC256.mac(key: keys[currentKid]!, Array("\(header).\(payload)".utf8)))
        return ("\(header).\(payload).\(signature)", Int(lifetime))
    }

    enum Failure: Error, CustomStringConvertible {
        case malformed, badSignature, expired, notYetValid, wrongAudience, wrongTenant

        var description: String {
            switch self {
            case .malformed: return "the access token is not a well-formed JWT"
            case .badSignature: return "the access token's signature does not verify"
            case .expired: return "the access token has expired"
            case .notYetValid: return "the access token is not valid yet"
            case .wrongAudience: return "the access token is for another audience"
            case .wrongTenant: return "the access token was issued for another tenant"
            }
        }
    }

    func verify(_ token: String, tenant: String, now: Date = Date()) throws(Failure) -> Claims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = Base64URL.decode(parts[0]), let payload = Base64URL.decode(parts[1]),
              let signature = Base64URL.decode(parts[2]),
              let fields = try? JSONSerialization.jsonObject(with: Data(header)) as? [String: Any], fields["alg"] as? String == "HS256"
        else { throw .malformed }
        // the key the token names; a token from before kids were used names none: the oldest key
        guard let key = (fields["kid"] as? String).flatMap({ keys[$0] }) ?? (fields["kid"] == nil ? keys["legacy"] : nil) else {
            throw .badSignature
        }
        let expected = HMAC256.mac(key: key, Array("\(parts[0]).\(parts[1])".utf8))
        guard Crypto.equal(expected, signature) else { throw .badSignature }
        guard let claims = try? JSONDecoder().decode(Claims.self, from: Data(payload)) else { throw .malformed }
        let t = Int(now.timeIntervalSince1970)
        guard claims.exp + 60 > t else { throw .expired }
        guard claims.nbf - 60 <= t else { throw .notYetValid }
        guard claims.aud == Self.audience else { throw .wrongAudience }
        guard claims.tid == tenant else { throw .wrongTenant }
        return claims
    }
}

/// Registered clients (a JSON file given with --clients): who may get tokens, for which tenant,
/// with which roles. Secrets are kept only as SHA-256 hashes.
struct ClientRegistry: Codable, Sendable {
    struct Client: Codable, Sendable {
        var tenant: String
        var clientId: String
        /// Hex SHA-256 of the client secret, for secret credentials.
        var secretSHA256: String?
        /// The client's certificate (PEM), for certificate credentials (client assertions).
        var certificatePEM: String?
        var roles: [String]
        /// A public client (no secret, no certificate) may use the device code flow.
        var publicClient: Bool?
    }

    /// People who may sign in with the device code flow, and their roles.
    struct User: Codable, Sendable {
        var tenant: String
        var userPrincipalName: String
        var roles: [String]
    }

    var clients: [Client]
    var users: [User]?

    func authenticate(tenant: String, clientID: String, secret: String) -> Client? {
        let hash = Digest.sha256(Array(secret.utf8))
        // Compare every candidate in constant time; do not stop early on the client id.
        var found: Client?
        for c in clients where c.tenant == tenant && c.clientId == clientID {
            if let hex = c.secretSHA256, let stored = [UInt8](hex: hex), Crypto.equal(stored, hash) { found = c }
        }
        return found
    }
}
