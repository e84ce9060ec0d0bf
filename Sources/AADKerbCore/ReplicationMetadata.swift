import Foundation
import Basics

/// A decoded `replPropertyMetaData` value (MS-DRSR `PROPERTY_META_DATA_EXT_VECTOR`, NDR version 1):
/// for each replicated attribute, its version, when and on which DC (invocationId) it was last
/// changed at its origin, and the originating and local USNs.
public struct ReplicationMetadata: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var attributeID: UInt32
        public var version: UInt32
        /// When the originating write happened (whole seconds; stored as seconds since 1601-01-01).
        public var changeTime: Date
        /// The invocationId of the DC where the write originated, as its 16 raw (little-endian) bytes.
        public var originatingInvocationID: [UInt8]
        public var originatingUSN: Int64
        public var localUSN: Int64
    }

    public enum DecodeError: Error, Sendable, Equatable, CustomStringConvertible {
        case tooShort(Int)
        case unsupportedVersion(UInt32)
        case countMismatch(count: UInt32, bytes: Int)

        public var description: String {
            switch self {
            case let .tooShort(n): return "replPropertyMetaData is \(n) bytes, shorter than its 16-byte header"
            case let .unsupportedVersion(v): return "replPropertyMetaData version \(v) is not 1"
            case let .countMismatch(c, n): return "replPropertyMetaData claims \(c) entries but has \(n) bytes"
            }
        }
    }

    /// attid of unicodePwd, whose entry records every password (key) change.
    public static let unicodePwd: UInt32 = 0x9005a

    /// Seconds between 1601-01-01 and 1970-01-01.
    static let epochOffset: Int64 = 11_644_473_600

    public var entries: [Entry]

    public init(decoding bytes: [UInt8]) throws(DecodeError) {
        guard bytes.count >= 16 else { throw .tooShort(bytes.count) }
        let version = Self.u32(bytes, 0)
        guard version == 1 else { throw .unsupportedVersion(version) }
        let count = Self.u32(bytes, 8)
        guard UInt64(count) * 48 + 16 <= UInt64(bytes.count) else {
            throw .countMismatch(count: count, bytes: bytes.count)
        }
        entries = (0..<Int(count)).map { i in
            let o = 16 + i * 48
            // In floating point: any 64-bit value is taken as it is (a DC writes a sane one, but
            // an Int64 subtraction traps below Int64.min + epochOffset; scripts/fuzz found it).
            let seconds = TimeInterval(Int64(bitPattern: Self.u64(bytes, o + 8)))
            return Entry(
                attributeID: Self.u32(bytes, o),
                version: Self.u32(bytes, o + 4),
                changeTime: Date(timeIntervalSince1970: seconds - TimeInterval(Self.epochOffset)),
                originatingInvocationID: Array(bytes[(o + 16)..<(o + 32)]),
                originatingUSN: Int64(bitPattern: Self.u64(bytes, o + 32)),
                localUSN: Int64(bitPattern: Self.u64(bytes, o + 40)))
        }
    }

    public func entry(for attributeID: UInt32) -> Entry? {
        entries.first { $0.attributeID == attributeID }
    }

    private static func u32(_ b: [UInt8], _ o: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(b[o + $1]) << (8 * $1) }
    }

    private static func u64(_ b: [UInt8], _ o: Int) -> UInt64 {
        (0..<8).reduce(0) { $0 | UInt64(b[o + $1]) << (8 * $1) }
    }
}
