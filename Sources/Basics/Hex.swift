/// Hex digits, written once for the whole package: keys' fingerprints, GUIDs, NT status codes,
/// LDAP filter escapes, the hex-encoded values of supplementalCredentials.
public enum Hex {
    /// `[0xde, 0xad]` -> `"dead"` (or `"DEAD"`).
    public static func string<Bytes: Sequence>(_ bytes: Bytes, uppercase: Bool = false) -> String where Bytes.Element == UInt8 {
        let digits = Array((uppercase ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// One byte as two digits: `0x0a` -> `"0a"`.
    public static func string(_ byte: UInt8, uppercase: Bool = false) -> String { string(CollectionOfOne(byte), uppercase: uppercase) }

    /// The bytes that hex digits (ASCII, either case) spell; nil when anything else is there or
    /// the count is odd. `ignoringWhitespace`: spaces, tabs and line ends between digits are
    /// skipped. What was decoded before a bad digit is zeroed before nil is returned (the
    /// digits may spell a key), and so is the result when the caller wipes it.
    public static func bytes<Digits: Sequence>(_ ascii: Digits, ignoringWhitespace: Bool = false) -> [UInt8]? where Digits.Element == UInt8 {
        var out = [UInt8]()
        out.reserveCapacity(ascii.underestimatedCount / 2)
        var high: UInt8?
        for c in ascii {
            if ignoringWhitespace, c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d { continue }
            guard let v = digit(c) else { wipe(&out); return nil }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        guard high == nil else { wipe(&out); return nil }
        return out
    }

    /// The bytes a hex string spells (see `bytes(_:ignoringWhitespace:)`).
    public static func bytes(_ text: String, ignoringWhitespace: Bool = false) -> [UInt8]? {
        bytes(text.utf8, ignoringWhitespace: ignoringWhitespace)
    }

    /// A GUID as AD and .NET store it (Data1, Data2 and Data3 little-endian, Data4 as is) in its
    /// usual text form, lower case: `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. nil unless 16 bytes.
    public static func guid<Bytes: Collection>(_ bytes: Bytes) -> String? where Bytes.Element == UInt8 {
        let b = Array(bytes)
        guard b.count == 16 else { return nil }
        return string(b[0..<4].reversed()) + "-" + string(b[4..<6].reversed()) + "-" + string(b[6..<8].reversed()) + "-"
            + string(b[8..<10]) + "-" + string(b[10..<16])
    }

    /// The 16 bytes of a GUID's text form (the inverse of `guid`); nil for anything else.
    public static func guidBytes(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 5, parts.map(\.utf8.count) == [8, 4, 4, 4, 12],
              let p0 = bytes(parts[0].utf8), let p1 = bytes(parts[1].utf8), let p2 = bytes(parts[2].utf8),
              let p3 = bytes(parts[3].utf8), let p4 = bytes(parts[4].utf8)
        else { return nil }
        return p0.reversed() + p1.reversed() + p2.reversed() + p3 + p4
    }

    /// The value of one ASCII hex digit (either case), or nil for any other byte.
    public static func digit(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x57
        case 0x41...0x46: return c - 0x37
        default: return nil
        }
    }
}

extension Sequence where Element == UInt8 {
    /// The bytes as lower-case hex digits (`Hex.string`).
    public var hex: String { Hex.string(self) }
}

extension Array where Element == UInt8 {
    /// The bytes hex digits spell, whitespace between them ignored (`Hex.bytes`); nil for
    /// anything else or an odd count.
    public init?(hex: String) {
        guard let bytes = Hex.bytes(hex, ignoringWhitespace: true) else { return nil }
        self = bytes
    }
}
