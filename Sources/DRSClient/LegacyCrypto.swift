import Basics
/// The legacy primitives NTLM and MS-DRSR still need and OpenSSL 3's default provider no longer
/// offers: MD4 (RFC 1320) and RC4. CRC-32 (IEEE 802.3, as zlib) checks decrypted secrets.
/// None of these is used for anything but talking to a domain controller.

/// MD4, RFC 1320.
enum MD4 {
    static func digest(_ message: [UInt8]) -> [UInt8] {
        var a: UInt32 = 0x6745_2301, b: UInt32 = 0xefcd_ab89, c: UInt32 = 0x98ba_dcfe, d: UInt32 = 0x1032_5476
        var padded = message
        padded.append(0x80)
        while padded.count % 64 != 56 { padded.append(0) }
        let bitLength = UInt64(message.count) &* 8
        for i in 0..<8 { padded.append(UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(i)))) }
        defer { wipe(&padded) }

        func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 { (x << n) | (x >> (32 - n)) }
        var x = [UInt32](repeating: 0, count: 16)
        defer { for i in x.indices { x[i] = 0 } }
        for block in stride(from: 0, to: padded.count, by: 64) {
            for i in 0..<16 {
                let o = block + 4 * i
                x[i] = UInt32(padded[o]) | UInt32(padded[o + 1]) << 8 | UInt32(padded[o + 2]) << 16 | UInt32(padded[o + 3]) << 24
            }
            let (aa, bb, cc, dd) = (a, b, c, d)
            // Round 1: F(x,y,z) = xy | ~x z
            for i in stride(from: 0, to: 16, by: 4) {
                a = rotl(a &+ ((b & c) | (~b & d)) &+ x[i], 3)
                d = rotl(d &+ ((a & b) | (~a & c)) &+ x[i + 1], 7)
                c = rotl(c &+ ((d & a) | (~d & b)) &+ x[i + 2], 11)
                b = rotl(b &+ ((c & d) | (~c & a)) &+ x[i + 3], 19)
            }
            // Round 2: G(x,y,z) = xy | xz | yz, constant 0x5A827999
            for i in 0..<4 {
                a = rotl(a &+ ((b & c) | (b & d) | (c & d)) &+ x[i] &+ 0x5a82_7999, 3)
                d = rotl(d &+ ((a & b) | (a & c) | (b & c)) &+ x[i + 4] &+ 0x5a82_7999, 5)
                c = rotl(c &+ ((d & a) | (d & b) | (a & b)) &+ x[i + 8] &+ 0x5a82_7999, 9)
                b = rotl(b &+ ((c & d) | (c & a) | (d & a)) &+ x[i + 12] &+ 0x5a82_7999, 13)
            }
            // Round 3: H(x,y,z) = x ^ y ^ z, constant 0x6ED9EBA1
            for i in [0, 2, 1, 3] {
                a = rotl(a &+ (b ^ c ^ d) &+ x[i] &+ 0x6ed9_eba1, 3)
                d = rotl(d &+ (a ^ b ^ c) &+ x[i + 8] &+ 0x6ed9_eba1, 9)
                c = rotl(c &+ (d ^ a ^ b) &+ x[i + 4] &+ 0x6ed9_eba1, 11)
                b = rotl(b &+ (c ^ d ^ a) &+ x[i + 12] &+ 0x6ed9_eba1, 15)
            }
            a = a &+ aa; b = b &+ bb; c = c &+ cc; d = d &+ dd
        }
        var out: [UInt8] = []
        out.reserveCapacity(16)
        for word in [a, b, c, d] { for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: word >> (8 * UInt32(i)))) } }
        return out
    }
}

/// RC4 as a stream: NTLM sealing keeps one per direction for the whole connection.
struct RC4 {
    private var s: [UInt8]
    private var i: UInt8 = 0
    private var j: UInt8 = 0

    init(key: [UInt8]) {
        precondition(!key.isEmpty && key.count <= 256, "RC4 key length")
        s = (0...255).map { UInt8($0) }
        var j: UInt8 = 0
        for i in 0..<256 {
            j = j &+ s[i] &+ key[i % key.count]
            s.swapAt(i, Int(j))
        }
    }

    /// Encrypts or decrypts (the same operation) in place, advancing the key stream.
    mutating func process(_ data: inout [UInt8]) {
        for k in data.indices {
            i = i &+ 1
            j = j &+ s[Int(i)]
            s.swapAt(Int(i), Int(j))
            data[k] ^= s[Int(s[Int(i)] &+ s[Int(j)])]
        }
    }

    mutating func processed(_ data: [UInt8]) -> [UInt8] {
        var copy = data
        process(&copy)
        return copy
    }

    /// One-shot RC4 with a fresh key.
    static func crypt(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var rc4 = RC4(key: key)
        defer { rc4.wipe() }
        return rc4.processed(data)
    }

    mutating func wipe() {
        Basics.wipe(&s)
        i = 0; j = 0
    }
}

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum of MS-DRSR encrypted payloads.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xedb8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum<C: Collection>(_ data: C) -> UInt32 where C.Element == UInt8 {
        var crc: UInt32 = 0xffff_ffff
        for byte in data { crc = table[Int((crc ^ UInt32(byte)) & 0xff)] ^ (crc >> 8) }
        return crc ^ 0xffff_ffff
    }
}

