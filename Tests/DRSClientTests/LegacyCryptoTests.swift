import OpenSSLSupport
import Testing
@testable import DRSClient
import Basics

@Suite struct LegacyCryptoTests {
    /// RFC 1320 appendix A.5, all seven.
    @Test(arguments: [
        ("", "31d6cfe0d16ae931b73c59d7e0c089c0"),
        ("a", "bde52cb31de33e46245e05fbdbd6fb24"),
        ("abc", "a448017aaf21d8525fc10ae87aa6729d"),
        ("message digest", "d9130a8164549fe818874806e1c7014b"),
        ("abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "043f8582f241db351ce627e153e7f0e4"),
        ("12345678901234567890123456789012345678901234567890123456789012345678901234567890", "e33b4ddc9c38f2199c3e7b164fcc0536"),
    ])
    func md4RFC1320(_ input: String, _ digest: String) {
        #expect(MD4.digest(Array(input.utf8)).hex == digest)
    }

    @Test func md4AcrossBlockBoundaries() {
        // 55, 56 and 64 bytes straddle the padding rule; the NT hash of "password" is well known.
        #expect(MD4.digest(UTF16LE.encode("password")).hex == "8846f7eaee8fb117ad06bdd830b7586c")
        let lengths = Set([55, 56, 63, 64, 65, 119, 120].map { MD4.digest([UInt8](repeating: 0x61, count: $0)).hex })
        #expect(lengths.count == 7)
    }

    /// The classic RC4 examples and RFC 6229's first key-stream bytes for key 0x0102030405.
    @Test(arguments: [
        ("Key", "Plaintext", "bbf316e8d940af0ad3"),
        ("Wiki", "pedia", "1021bf0420"),
        ("Secret", "Attack at dawn", "45a01f645fc35b383552544b9bf5"),
    ])
    func rc4Vectors(_ key: String, _ plaintext: String, _ ciphertext: String) {
        #expect(RC4.crypt(key: Array(key.utf8), Array(plaintext.utf8)).hex == ciphertext)
        #expect(RC4.crypt(key: Array(key.utf8), h(ciphertext)) == Array(plaintext.utf8))
    }

    @Test func rc4IsAStreamAcrossCalls() {
        #expect(RC4.crypt(key: [1, 2, 3, 4, 5], [UInt8](repeating: 0, count: 16)).hex == "b2396305f03dc027ccc3524a0a1118a8")
        var rc4 = RC4(key: [1, 2, 3, 4, 5])
        let first = rc4.processed([UInt8](repeating: 0, count: 7)), second = rc4.processed([UInt8](repeating: 0, count: 9))
        #expect((first + second).hex == "b2396305f03dc027ccc3524a0a1118a8")
    }

    @Test func crc32() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xcbf4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
        #expect(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414f_a339)
    }

    /// RFC 1321 and RFC 2104's first HMAC-MD5 example, through OpenSSLSupport.
    @Test func md5AndHMACMD5() {
        #expect(MD5.digest(Array("abc".utf8)).hex == "900150983cd24fb0d6963f7d28e17f72")
        #expect(HMACMD5.mac(key: [UInt8](repeating: 0x0b, count: 16), Array("Hi There".utf8)).hex == "9294727a3638bb1c13f48ef8158bfc9d")
    }
}
