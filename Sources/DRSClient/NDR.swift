/// NDR (DCE 1.1 Network Data Representation, little-endian, ASCII, IEEE) transfer syntax
/// 8a885d04-1ceb-11c9-9fe8-08002b104860 v2.0, the subset DRSUAPI and the endpoint mapper use:
/// primitive alignment, unique/ref pointers as referent IDs with their referents deferred after the
/// enclosing construct, conformant (and conformant varying) arrays and conformant structures.
///
/// Callers marshal a type the way MIDL and Samba's pidl do: all of a construct's fixed part
/// ("scalars") first, then, in member order, each pointer's referent in full (its own scalars and
/// then its own deferred referents).

struct NDRWriter {
    private(set) var bytes: [UInt8] = []
    private var nextReferent: UInt32 = 0x0002_0000

    /// Alignment is relative to the start of the stub.
    mutating func align(_ n: Int) {
        while bytes.count % n != 0 { bytes.append(0) }
    }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { align(2); bytes.append(UInt8(truncatingIfNeeded: v)); bytes.append(UInt8(truncatingIfNeeded: v >> 8)) }
    mutating func u32(_ v: UInt32) { align(4); for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    mutating func u64(_ v: UInt64) { align(8); for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }

    /// Bytes with no alignment of their own (byte arrays, the tail of a conformant structure).
    mutating func raw<S: Sequence>(_ s: S) where S.Element == UInt8 { bytes.append(contentsOf: s) }

    /// A GUID is a structure of a uint32, two uint16 and 8 bytes: 4-byte aligned.
    mutating func guid(_ g: GUID) { align(4); bytes.append(contentsOf: g.bytes) }

    /// A context handle: uint32 attributes + GUID, 20 bytes.
    mutating func contextHandle(_ h: ContextHandle) { align(4); bytes.append(contentsOf: h.bytes) }

    /// A unique or embedded ref pointer: a fresh non-zero referent ID, or 0 for NULL.
    mutating func pointer(_ present: Bool) {
        if present {
            u32(nextReferent)
            nextReferent &+= 4
        } else {
            u32(0)
        }
    }

    /// The conformance (maximum count) of a conformant array or structure.
    mutating func conformance(_ count: Int) { u32(UInt32(count)) }
}

/// A DCE/RPC context handle (policy handle): 20 opaque bytes.
struct ContextHandle: Equatable, Sendable {
    let bytes: [UInt8]
    static let null = ContextHandle(bytes: [UInt8](repeating: 0, count: 20))
    var isNull: Bool { bytes.allSatisfy { $0 == 0 } }
}

/// Thrown when a stub does not decode: too short, a count larger than the data, a NULL where
/// a value is required, a union arm that is not known.
struct NDRError: Error, CustomStringConvertible {
    var what: String
    var description: String { what }
}

struct NDRReader {
    let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }
    var atEnd: Bool { offset == bytes.count }

    private mutating func need(_ n: Int, _ what: String) throws {
        guard n >= 0, n <= remaining else {
            throw NDRError(what: "\(what): needs \(n) bytes at offset \(offset) of \(bytes.count)")
        }
    }

    mutating func align(_ n: Int, _ what: String = "alignment") throws {
        let pad = (n - offset % n) % n
        try need(pad, what)
        offset += pad
    }

    mutating func u8(_ what: String = "uint8") throws -> UInt8 {
        try need(1, what); defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16(_ what: String = "uint16") throws -> UInt16 {
        try align(2, what); try need(2, what); defer { offset += 2 }
        return bytes.le16(at: offset)
    }

    mutating func u32(_ what: String = "uint32") throws -> UInt32 {
        try align(4, what); try need(4, what); defer { offset += 4 }
        return bytes.le32(at: offset)
    }

    mutating func u64(_ what: String = "uint64") throws -> UInt64 {
        try align(8, what); try need(8, what); defer { offset += 8 }
        return UInt64(bytes.le32(at: offset)) | UInt64(bytes.le32(at: offset + 4)) << 32
    }

    mutating func i64(_ what: String = "int64") throws -> Int64 { Int64(bitPattern: try u64(what)) }

    mutating func raw(_ n: Int, _ what: String = "bytes") throws -> [UInt8] {
        try need(n, what); defer { offset += n }
        return Array(bytes[offset..<offset + n])
    }

    mutating func guid(_ what: String = "GUID") throws -> GUID {
        try align(4, what)
        return GUID(wire: try raw(16, what))
    }

    mutating func contextHandle(_ what: String = "context handle") throws -> ContextHandle {
        try align(4, what)
        return ContextHandle(bytes: try raw(20, what))
    }

    /// A unique (or embedded ref) pointer's referent ID; true when it is not NULL.
    mutating func pointer(_ what: String = "pointer") throws -> Bool {
        try u32(what) != 0
    }

    /// A conformance or variance count. `elementSize` is the smallest wire size of one element:
    /// a count whose elements cannot fit in what is left is a lie, refused before anything is allocated.
    mutating func count(_ what: String, elementSize: Int, limit: Int = 1 << 24) throws -> Int {
        let n = Int(try u32(what))
        guard n <= limit, n * max(elementSize, 0) <= remaining else {
            throw NDRError(what: "\(what): count \(n) does not fit in the \(remaining) bytes left")
        }
        return n
    }

    /// A conformant array of bytes (max_count, then the bytes).
    mutating func conformantBytes(_ what: String) throws -> [UInt8] {
        let n = try count(what, elementSize: 1)
        return try raw(n, what)
    }
}
