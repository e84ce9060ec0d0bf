import Basics
import OpenSSLSupport

/// Secret attributes in a GetNCChanges reply are ENCRYPTED_PAYLOAD (MS-DRSR 4.1.10.6.11/12 and
/// 5.71): a 16-byte salt, then RC4(MD5(session key || salt)) over a CRC-32 and the value.
enum SecretDecryption {
    enum Failure: Error, CustomStringConvertible {
        case tooShort(Int)
        case checksumMismatch

        var description: String {
            switch self {
            case let .tooShort(n): return "an encrypted value of \(n) bytes is shorter than its 20-byte header"
            case .checksumMismatch: return "the decrypted value fails its CRC-32 check (wrong session key or tampered data)"
            }
        }
    }

    static func decrypt(_ payload: [UInt8], sessionKey: [UInt8]) throws -> [UInt8] {
        guard payload.count >= 20 else { throw Failure.tooShort(payload.count) }
        var key = MD5.digest(sessionKey + payload[0..<16])
        defer { wipe(&key) }
        var plain = RC4.crypt(key: key, Array(payload[16...]))
        let checksum = plain.le32(at: 0)
        let value = Array(plain[4...])
        wipe(&plain)
        guard CRC32.checksum(value) == checksum else {
            var v = value
            wipe(&v)
            throw Failure.checksumMismatch
        }
        return value
    }

    /// The inverse, for tests: what a DC would send for `value` with this `salt`.
    static func encrypt(_ value: [UInt8], sessionKey: [UInt8], salt: [UInt8]) -> [UInt8] {
        precondition(salt.count == 16)
        var key = MD5.digest(sessionKey + salt)
        defer { wipe(&key) }
        var plain = ByteWriter()
        plain.u32(CRC32.checksum(value))
        plain.append(value)
        return salt + RC4.crypt(key: key, plain.bytes)
    }
}
