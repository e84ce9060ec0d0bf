import OpenSSLSupport
import Secrets

/// Kerberos key derivation for aes256-cts-hmac-sha1-96 (RFC 3962 §4, RFC 3961 §5), so that aadkerb
/// can publish the same key the DC derives from the krbtgt account's password.
public enum KerberosKey {
    /// etype 18.
    public static let aes256 = 18
    public static let defaultIterations = 4096

    /// The AD salt of a user account: UPPER(realm) + sAMAccountName (MS-KILE 3.1.1.2).
    public static func salt(realm: String, samAccountName: String) -> String {
        realm.uppercased() + samAccountName
    }

    /// string-to-key: DK(PBKDF2-HMAC-SHA1(password, salt, iterations, 32), "kerberos").
    public static func aes256(password: Secret, salt: String, iterations: Int = defaultIterations) throws -> Secret {
        var tkey = try password.withUnsafeBytes {
            try PBKDF2.sha1(password: Array($0), salt: Array(salt.utf8), iterations: iterations, length: 32)
        }
        defer { wipe(&tkey) }
        return Secret(bytes: try derive(key: tkey, constant: Array("kerberos".utf8)))
    }

    /// DK(key, constant) = random-to-key(DR(key, constant)); for AES random-to-key is the identity.
    static func derive(key: [UInt8], constant: [UInt8]) throws -> [UInt8] {
        var block = constant.count == 16 ? constant : nfold(constant, bits: 128)
        var out: [UInt8] = []
        while out.count < key.count {
            block = try AESBlock.encrypt(block, key: key)
            out += block
        }
        return Array(out.prefix(key.count))
    }

    /// RFC 3961 §5.1 n-fold: replicate the input, rotated by 13 bits each time, to the least common
    /// multiple of the lengths, then add the n-bit blocks with end-around carry.
    public static func nfold(_ input: [UInt8], bits: Int) -> [UInt8] {
        let inBytes = input.count, outBytes = bits / 8
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        let lcm = inBytes * outBytes / gcd(inBytes, outBytes)
        var out = [Int](repeating: 0, count: outBytes)
        var carry = 0
        for i in stride(from: lcm - 1, through: 0, by: -1) {
            let msbit = ((inBytes << 3) - 1 + (((inBytes << 3) + 13) * (i / inBytes)) + ((inBytes - (i % inBytes)) << 3)) % (inBytes << 3)
            let hi = Int(input[((inBytes - 1) - (msbit >> 3)) % inBytes])
            let lo = Int(input[(inBytes - (msbit >> 3)) % inBytes])
            let byte = ((hi << 8 | lo) >> ((msbit & 7) + 1)) & 0xff
            carry += byte + out[i % outBytes]
            out[i % outBytes] = carry & 0xff
            carry >>= 8
        }
        if carry != 0 {
            for i in stride(from: outBytes - 1, through: 0, by: -1) {
                carry += out[i]
                out[i] = carry & 0xff
                carry >>= 8
                if carry == 0 { break }
            }
        }
        return out.map { UInt8($0) }
    }
}
