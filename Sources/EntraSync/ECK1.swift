import Foundation
import OpenSSLSupport
import TenantAPI
import Basics

/// A Windows CNG public key blob for ECDH on P-256 (BCRYPT_ECCPUBLIC_BLOB): the magic "ECK1"
/// (BCRYPT_ECDH_PUBLIC_P256_MAGIC, 0x314B4345 little endian), cbKey = 32 (UInt32 LE), X, Y.
public struct ECK1PublicKey: Sendable, Equatable {
    public let x: [UInt8]
    public let y: [UInt8]

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case notECK1(String)
        public var description: String { switch self { case .notECK1(let why): "not a CNG ECK1 (P-256 ECDH) public key: \(why)" } }
    }

    public init(blob: [UInt8]) throws(Failure) {
        guard blob.count >= 8 else { throw .notECK1("\(blob.count) bytes") }
        guard Array(blob[0..<4]) == Array("ECK1".utf8) else { throw .notECK1("magic \(Hex.string(blob[0..<4], uppercase: true))") }
        let cb = Int(blob[4]) | Int(blob[5]) << 8 | Int(blob[6]) << 16 | Int(blob[7]) << 24
        guard cb == 32 else { throw .notECK1("key length \(cb), not 32") }
        guard blob.count == 8 + 64 else { throw .notECK1("\(blob.count) bytes, not 72") }
        x = Array(blob[8..<40])
        y = Array(blob[40..<72])
        // the point must be on the curve: OpenSSL refuses it in an ECDH otherwise
        guard (try? P256KeyPair().sharedSecret(with: sec1)) != nil else { throw .notECK1("the point is not on P-256") }
    }

    public init(sec1: [UInt8]) throws(Failure) {
        guard sec1.count == 65, sec1[0] == 4 else { throw .notECK1("not an uncompressed SEC1 point") }
        try self.init(blob: Array("ECK1".utf8) + [32, 0, 0, 0] + Array(sec1[1...]))
    }

    public var blob: [UInt8] { Array("ECK1".utf8) + [32, 0, 0, 0] + x + y }
    /// The SEC1 uncompressed point (0x04 || X || Y).
    public var sec1: [UInt8] { [4] + x + y }
    /// The SubjectPublicKeyInfo (id-ecPublicKey, prime256v1) an admin can feed to openssl.
    public var subjectPublicKeyInfo: [UInt8] {
        [0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01,
         0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00] + sec1
    }
    public var pem: String {
        let b64 = Data(subjectPublicKeyInfo).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN PUBLIC KEY-----\n\(b64)\n-----END PUBLIC KEY-----\n"
    }
    /// SHA-256 of the SubjectPublicKeyInfo, hex: what `openssl pkey -pubin -outform DER | sha256sum` prints.
    public var spkiSHA256: String { Hex.string(Digest.sha256(subjectPublicKeyInfo)) }
    /// The id aadkerb's own tenant API gives this key (KeyEnvelope.keyID), to compare with pins.
    public var aadkerbKeyID: String { KeyEnvelope.keyID(sec1) }
}
