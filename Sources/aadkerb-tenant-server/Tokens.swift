import Foundation
import JWTKit
import OpenSSLSupport
import Basics

/// Access tokens: compact JWS (RFC 7515/7519), HS256 through jwt-kit, signed with the newest of
/// the server's signing keys (sealed under the master key in its store, so tokens survive a
/// restart; see SigningKeys) and named by `kid`; older keys still verify the tokens they signed
/// until those expire. Verification checks the header (HS256 only: `none` and every other
/// algorithm are refused before any key is tried), the signature (jwt-kit, swift-crypto's HMAC),
/// the audience, the tenant, and the validity window with 60 s of clock skew.
struct TokenIssuer: Sendable {
    static let audience = "api://aadkerb-tenant"
    /// kid -> key; `currentKid` signs. A token without a kid (from before kids were used) is
    /// verified with the key "legacy" only.
    private let keys: JWTKeyCollection
    private let kids: Set<String>
    let currentKid: String
    let issuerBase: String
    let lifetime: TimeInterval

    /// Whole seconds since 1970 in both directions, keys sorted: the tokens the hand-written
    /// issuer made before (and their verification) stay byte-for-byte the same shape.
    static let serializer: DefaultJWTSerializer = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.dateEncodingStrategy = .integerSecondsSince1970
        return DefaultJWTSerializer(jsonEncoder: encoder)
    }()
    static let parser: DefaultJWTParser = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .integerSecondsSince1970
        return DefaultJWTParser(jsonDecoder: decoder)
    }()

    init(keys: [String: [UInt8]], currentKid: String, issuerBase: String, lifetime: TimeInterval) async {
        let collection = JWTKeyCollection(defaultJWTParser: Self.parser, defaultJWTSerializer: Self.serializer)
        for (kid, key) in keys.sorted(by: { $0.key < $1.key }) {
            await collection.add(hmac: HMACKey(from: key), digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid),
                                 parser: Self.parser, serializer: Self.serializer)
        }
        // jwt-kit falls back to a default key for a token without a kid: only "legacy" may be it
        await collection.clearDefault()
        if let legacy = keys["legacy"] {
            await collection.add(hmac: HMACKey(from: legacy), digestAlgorithm: .sha256, parser: Self.parser, serializer: Self.serializer)
        }
        self.keys = collection
        self.kids = Set(keys.keys)
        self.currentKid = currentKid
        self.issuerBase = issuerBase
        self.lifetime = lifetime
    }

    /// One key (tests).
    init(signingKey: [UInt8], issuerBase: String, lifetime: TimeInterval) async {
        await self.init(keys: ["k0": signingKey], currentKid: "k0", issuerBase: issuerBase, lifetime: lifetime)
    }

    struct Claims: JWTPayload {
        var iss: IssuerClaim
        var aud: AudienceClaim
        var sub: SubjectClaim
        var tid: String
        var roles: [String]
        var iat: IssuedAtClaim
        var nbf: NotBeforeClaim
        var exp: ExpirationClaim
        var jti: IDClaim

        /// The time checks need the caller's clock (tests set it): `TokenIssuer.verify` makes them.
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    func issue(tenant: String, clientID: String, roles: [String], now: Date = Date()) async -> (token: String, expiresIn: Int) {
        let t = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let claims = Claims(iss: IssuerClaim(value: "\(issuerBase)/\(tenant)/v2.0"), aud: AudienceClaim(value: Self.audience),
                            sub: SubjectClaim(value: clientID), tid: tenant, roles: roles, iat: IssuedAtClaim(value: t),
                            nbf: NotBeforeClaim(value: t), exp: ExpirationClaim(value: t.addingTimeInterval(lifetime.rounded(.down))),
                            jti: IDClaim(value: UUID().uuidString))
        // HS256 over claims that always encode: signing cannot fail
        let token = try! await keys.sign(claims, kid: JWKIdentifier(string: currentKid))
        return (token, Int(lifetime))
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

    func verify(_ token: String, tenant: String, now: Date = Date()) async throws(Failure) -> Claims {
        // The header first: HS256 only, and a kid this server has (or none, for the legacy key).
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(parts[0]),
              let header = try? JSONDecoder().decode(JWTHeader.self, from: Data(headerBytes)), header.alg == "HS256"
        else { throw .malformed }
        guard header.kid.map(kids.contains) ?? kids.contains("legacy") else { throw .badSignature }
        let claims: Claims
        do {
            claims = try await keys.verify(token, as: Claims.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw .badSignature
        } catch {
            throw .malformed
        }
        let t = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        do { try claims.exp.verifyNotExpired(currentDate: t.addingTimeInterval(-60)) } catch { throw .expired }
        do { try claims.nbf.verifyNotBefore(currentDate: t.addingTimeInterval(61)) } catch { throw .notYetValid }
        guard claims.aud.value == [Self.audience] else { throw .wrongAudience }
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
