import Foundation
import Testing
@testable import WCFBinary

/// Hostile encodings: each is refused with a WCFBinaryError (typed throws: nothing else can come
/// out), never a trap, and within the limits' memory.
@Suite struct HostileTests {
    static let valid = WCFBinaryEncoder().encode(EncoderTests.soap)

    @Test func everyTruncationIsRefused() {
        for n in 0..<Self.valid.count {
            let cut = Array(Self.valid.prefix(n))
            #expect(throws: WCFBinaryError.self, "prefix of \(n) bytes") { try WCFBinaryDecoder().decode(cut) }
        }
    }

    @Test func unknownRecordTypes() {
        for t: UInt8 in [0x00, 0x78, 0x7F, 0xBE, 0xFF] {
            #expect(throws: WCFBinaryError.unknownRecord(type: t, offset: 3)) { try WCFBinaryDecoder().decode([0x40, 0x01, 0x61, t, 0x01]) }
        }
        // an attribute value that is not a text record
        #expect(throws: WCFBinaryError.unknownRecord(type: 0xFE, offset: 6)) { try WCFBinaryDecoder().decode(hex("40 01 61 04 01 62 FE 01")) }
        // an attribute record where no element starts
        #expect(throws: WCFBinaryError.malformed(offset: 0, reason: "attribute record 0x04 outside an element start")) {
            try WCFBinaryDecoder().decode(hex("04 01 62 86"))
        }
    }

    @Test func lengthFieldsThatOverflow() {
        // a name length of 2^35
        #expect(throws: WCFBinaryError.lengthOverflow(offset: 1)) { try WCFBinaryDecoder().decode(hex("40 FF FF FF FF 7F")) }
        // a name length of 2^31 - 1 with 3 bytes behind it
        #expect(throws: WCFBinaryError.truncated(offset: 6)) { try WCFBinaryDecoder().decode(hex("40 FF FF FF FF 07 61 62 63")) }
        // Chars32Text with a negative length
        #expect(throws: WCFBinaryError.lengthOverflow(offset: 4)) { try WCFBinaryDecoder().decode(hex("40 01 61 9C FF FF FF FF 01")) }
        // Bytes32Text with 2 GiB claimed
        #expect(throws: WCFBinaryError.truncated(offset: 8)) { try WCFBinaryDecoder().decode(hex("40 01 61 A2 FF FF FF 7F 00 01")) }
        // an Array of 2^31 - 1 Int64 values
        #expect(throws: WCFBinaryError.self) { try WCFBinaryDecoder().decode(hex("40 01 77 03 40 01 61 01 8F FF FF FF FF 07 00 01")) }
        // an Array longer than the limit, and one whose data is missing
        #expect(throws: WCFBinaryError.tooLarge(offset: 9, what: "Array of 20000")) {
            try WCFBinaryDecoder().decode(hex("40 01 77 03 40 01 61 01 B5 A0 9C 01"))
        }
        #expect(throws: WCFBinaryError.truncated(offset: 10)) { try WCFBinaryDecoder().decode(hex("40 01 77 03 40 01 61 01 8D 05 00 01")) }
        // an UTF-16 text of odd length
        #expect(throws: WCFBinaryError.self) { try WCFBinaryDecoder().decode(hex("40 01 61 B6 03 61 00 62 01")) }
    }

    @Test func deepNesting() {
        let depth = 100_000
        var bytes: [UInt8] = []
        for _ in 0..<depth { bytes += [0x40, 0x01, 0x61] }
        #expect(throws: WCFBinaryError.tooDeep(offset: 64 * 3, limit: 64)) { try WCFBinaryDecoder().decode(bytes) }
        var strict = WCFBinaryLimits()
        strict.maxDepth = 3
        let doc = XElement("a", children: [.element(XElement("b", children: [.element(XElement("c", children: [.element(XElement("d"))]))]))])
        #expect(throws: WCFBinaryError.tooDeep(offset: 9, limit: 3)) { try WCFBinaryDecoder(limits: strict).decode(WCFBinaryEncoder().encode(doc)) }
    }

    @Test func tooManyNodesAndBytes() {
        var limits = WCFBinaryLimits()
        limits.maxNodes = 10
        var bytes: [UInt8] = [0x40, 0x01, 0x77]
        for _ in 0..<20 { bytes += [0x40, 0x01, 0x61, 0x01] }
        bytes.append(0x01)
        #expect(throws: WCFBinaryError.self) { try WCFBinaryDecoder(limits: limits).decode(bytes) }
        limits = WCFBinaryLimits()
        limits.maxBytes = 8
        #expect(throws: WCFBinaryError.tooLarge(offset: 0, what: "\(bytes.count) bytes")) { try WCFBinaryDecoder(limits: limits).decode(bytes) }
    }

    @Test func structuralLies() {
        #expect(throws: WCFBinaryError.malformed(offset: 0, reason: "EndElement with no open element")) { try WCFBinaryDecoder().decode([0x01]) }
        #expect(throws: WCFBinaryError.malformed(offset: 0, reason: "text record ends an element that is not open")) {
            try WCFBinaryDecoder().decode([0x83])
        }
        #expect(throws: WCFBinaryError.malformed(offset: 0, reason: "2 root elements")) { try WCFBinaryDecoder().decode(hex("42 02 01 42 02 01")) }
        #expect(throws: WCFBinaryError.unknownDictionaryString(id: 0x3D0, offset: 1)) { try WCFBinaryDecoder().decode(hex("42 D0 07 01")) }
        #expect(throws: WCFBinaryError.invalidUTF8(offset: 2)) { try WCFBinaryDecoder().decode(hex("40 02 C3 28 01")) }
        #expect(throws: WCFBinaryError.self) { try WCFBinaryDecoder().decode(hex("40 01 61 A4 86 01")) }  // list never ended
        #expect(throws: WCFBinaryError.self) { try WCFBinaryDecoder().decode(hex("40 01 61 A6 01")) }  // EndList alone
        #expect(throws: WCFBinaryError.self) { try WCFBinaryDecoder().decode(hex("40 01 61 B4 02 01")) }  // Bool 2
        #expect(throws: WCFBinaryError.self) { try WCFBinaryDecoder().decode(hex("40 01 61 96 FF FF FF FF FF FF FF FF 01")) }  // DateTime kind 3
        #expect(throws: WCFBinaryError.self) { try WCFBinaryDecoder().decode(hex("40 01 61 94 00 00 FF 00 00 00 00 00 00 00 00 00 00 00 00 00 01")) }  // scale 255
    }

    /// A bounded in-process fuzz run (the libFuzzer target, Fuzz/Sources/fuzz-wcfbinary, runs longer):
    /// random mutations of a valid message, every one decoded or refused with a WCFBinaryError.
    @Test func mutationsNeverCrash() {
        var rng = SystemRandomNumberGenerator()
        var decoded = 0, refused = 0
        for _ in 0..<20_000 {
            var b = Self.valid
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: b[Int.random(in: 0..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                case 1: b.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...b.count, using: &rng))
                default: if b.count > 1 { b.remove(at: Int.random(in: 0..<b.count, using: &rng)) }
                }
            }
            do {
                let tree = try WCFBinaryDecoder().decode(b)
                decoded += 1
                // what decodes survives encode + decode unchanged (the fuzz target's property too)
                #expect(try WCFBinaryDecoder().decode(WCFBinaryEncoder().encode(tree)) == tree, "\(hexString(b))")
            } catch { refused += 1 }
        }
        #expect(decoded + refused == 20_000)
        #expect(refused > 0 && decoded > 0)
    }
}
