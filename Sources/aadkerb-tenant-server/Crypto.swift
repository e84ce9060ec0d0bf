import Basics
import COpenSSL
import Foundation
import OpenSSLSupport

enum Crypto {
    /// Constant-time comparison.
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.count == b.count && CRYPTO_memcmp(a, b, a.count) == 0
    }
}
