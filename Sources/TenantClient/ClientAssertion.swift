import Foundation
import Basics
import OpenSSLSupport

/// A client assertion (RFC 7523 §2.2): a short-lived JWT, signed RS256 with the client's private
/// key, whose `x5t#S256` header names the certificate registered for the client.
public enum ClientAssertion {
    public static let type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

    public static func make(clientID: String, audience: String, certificatePEM: [UInt8], privateKeyPEM: Secret,
                            now: Date = Date(), lifetime: TimeInterval = 300) throws -> String {
        let certificate = try Certificate(pem: certificatePEM)
        let key = try privateKeyPEM.withUnsafeBytes { raw -> PrivateKey in
            var bytes = Array(raw)
            defer { wipe(&bytes) }
            return try PrivateKey(pem: bytes)
        }
        let header: [String: String] = ["alg": "RS256", "typ": "JWT", "x5t#S256": certificate.thumbprintS256]
        let t = Int(now.timeIntervalSince1970)
        let payload: [String: Any] = ["aud": audience, "iss": clientID, "sub": clientID, "jti": UUID().uuidString,
                                      "iat": t, "nbf": t, "exp": t + Int(lifetime)]
        let signingInput = Base64URL.encode(Array(try JSONSerialization.data(withJSONObject: header, options: .sortedKeys)))
            + "." + Base64URL.encode(Array(try JSONSerialization.data(withJSONObject: payload, options: .sortedKeys)))
        return signingInput + "." + Base64URL.encode(try key.signRS256(Array(signingInput.utf8)))
    }
}
