import Basics
/// Little-endian byte building and bounds-checked reading for the wire formats here (NTLM
/// messages, RPC PDUs, Samba blobs). Every read that would run past the end throws.

struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { bytes.append(UInt8(truncatingIfNeeded: v)); bytes.append(UInt8(truncatingIfNeeded: v >> 8)) }
    mutating func u32(_ v: UInt32) { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    mutating func u64(_ v: UInt64) { for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
    mutating func append<S: Sequence>(_ s: S) where S.Element == UInt8 { bytes.append(contentsOf: s) }
    mutating func zeros(_ n: Int) { bytes.append(contentsOf: repeatElement(0, count: n)) }

    /// Overwrites a little-endian UInt16 / UInt32 already written at `offset`.
    mutating func set16(_ v: UInt16, at offset: Int) { bytes[offset] = UInt8(truncatingIfNeeded: v); bytes[offset + 1] = UInt8(truncatingIfNeeded: v >> 8) }
    mutating func set32(_ v: UInt32, at offset: Int) { for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) } }
}

/// Thrown by readers; the layer above turns it into a `DRSError` naming its step.
struct TruncatedData: Error, CustomStringConvertible {
    var what: String
    var description: String { what }
}

struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset: Int

    init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    mutating func need(_ n: Int, _ what: @autoclosure () -> String) throws {
        guard n >= 0, n <= remaining else { throw TruncatedData(what: "\(what()): needs \(n) bytes at offset \(offset), \(remaining) left") }
    }

    mutating func u8(_ what: @autoclosure () -> String = "byte") throws -> UInt8 {
        try need(1, what()); defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16(_ what: @autoclosure () -> String = "uint16") throws -> UInt16 {
        try need(2, what()); defer { offset += 2 }
        return bytes.le16(at: offset)
    }

    mutating func u32(_ what: @autoclosure () -> String = "uint32") throws -> UInt32 {
        try need(4, what()); defer { offset += 4 }
        return bytes.le32(at: offset)
    }

    mutating func u64(_ what: @autoclosure () -> String = "uint64") throws -> UInt64 {
        try need(8, what()); defer { offset += 8 }
        return UInt64(bytes.le32(at: offset)) | UInt64(bytes.le32(at: offset + 4)) << 32
    }

    mutating func take(_ n: Int, _ what: @autoclosure () -> String = "bytes") throws -> [UInt8] {
        try need(n, what()); defer { offset += n }
        return Array(bytes[offset..<offset + n])
    }

    mutating func skip(_ n: Int, _ what: @autoclosure () -> String = "padding") throws {
        try need(n, what())
        offset += n
    }

    mutating func seek(_ to: Int, _ what: @autoclosure () -> String = "offset") throws {
        guard to >= 0, to <= bytes.count else { throw TruncatedData(what: "\(what()): offset \(to) outside \(bytes.count) bytes") }
        offset = to
    }
}

extension Array where Element == UInt8 {
    func le16(at o: Int) -> UInt16 { UInt16(self[o]) | UInt16(self[o + 1]) << 8 }
    func le32(at o: Int) -> UInt32 { UInt32(self[o]) | UInt32(self[o + 1]) << 8 | UInt32(self[o + 2]) << 16 | UInt32(self[o + 3]) << 24 }
}

enum UTF16LE {
    static func encode(_ s: String) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(s.utf16.count * 2)
        for u in s.utf16 { out.append(UInt8(truncatingIfNeeded: u)); out.append(UInt8(truncatingIfNeeded: u >> 8)) }
        return out
    }

    /// Decodes UTF-16LE; nil for an odd length. Unpaired surrogates become U+FFFD.
    static func decode<C: Collection>(_ bytes: C) -> String? where C.Element == UInt8, C.Index == Int {
        guard bytes.count % 2 == 0 else { return nil }
        var units = [UInt16]()
        units.reserveCapacity(bytes.count / 2)
        var i = bytes.startIndex
        while i < bytes.endIndex { units.append(UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8); i += 2 }
        return String(decoding: units, as: UTF16.self)
    }
}

/// A GUID/UUID as DCE/RPC and AD carry it: the first three fields little-endian.
struct GUID: Equatable, Hashable, CustomStringConvertible, Sendable {
    /// The 16 bytes in wire (little-endian fields) order.
    let bytes: [UInt8]

    static let zero = GUID(wire: [UInt8](repeating: 0, count: 16))

    init(wire: [UInt8]) {
        precondition(wire.count == 16)
        bytes = wire
    }

    /// From "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx".
    init?(_ string: String) {
        guard let bytes = Hex.guidBytes(string) else { return nil }
        self.bytes = bytes
    }

    var description: String { Hex.guid(bytes) ?? "" }}
