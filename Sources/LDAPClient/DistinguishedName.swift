import Basics
/// A distinguished name (RFC 4514): a sequence of RDNs, most specific first.
///
/// Parsing handles escaped specials (`\,`), hex pairs (`\C3\A9`, decoded as UTF-8), multi-valued
/// RDNs (`CN=a+UID=b`) and `#`-prefixed BER values (kept in their hex form). Serialising escapes
/// what RFC 4514 §2.4 requires, so `DistinguishedName(parsing: dn.description) == dn` holds.
/// Comparison ignores the case of attribute types and values, as Active Directory does.
public struct DistinguishedName: Sendable, Hashable, CustomStringConvertible {
    public struct Attribute: Sendable, Hashable {
        public var type: String
        public var value: String
        public init(type: String, value: String) {
            self.type = type
            self.value = value
        }
        public static func == (a: Self, b: Self) -> Bool {
            a.type.lowercased() == b.type.lowercased() && a.value.lowercased() == b.value.lowercased()
        }
        public func hash(into hasher: inout Hasher) {
            hasher.combine(type.lowercased())
            hasher.combine(value.lowercased())
        }
    }

    public typealias RDN = [Attribute]

    public var rdns: [RDN]

    public init(rdns: [RDN]) { self.rdns = rdns }

    public enum ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        case empty
        case missingEquals(position: Int)
        case invalidAttributeType(String)
        case invalidEscape(position: Int)
        case invalidUTF8
        case unexpectedCharacter(Character, position: Int)

        public var description: String {
            switch self {
            case .empty: return "empty RDN"
            case let .missingEquals(p): return "missing '=' at position \(p)"
            case let .invalidAttributeType(t): return "invalid attribute type '\(t)'"
            case let .invalidEscape(p): return "invalid escape at position \(p)"
            case .invalidUTF8: return "escaped bytes are not valid UTF-8"
            case let .unexpectedCharacter(c, p): return "unexpected '\(c)' at position \(p)"
            }
        }
    }

    /// Parses an RFC 4514 string. The empty string is the root DN (no RDNs).
    public init(parsing string: String) throws(ParseError) {
        var parser = Parser(string)
        rdns = try parser.parse()
    }

    /// `DC=contoso,DC=corp,DC=com` for `contoso.corp.com`.
    public init(domainDNSName: String) {
        rdns = domainDNSName.split(separator: ".").map { [Attribute(type: "DC", value: String($0))] }
    }

    /// A child of this DN: `type=value,<self>`, with `value` escaped when serialised.
    public func child(_ type: String, _ value: String) -> DistinguishedName {
        DistinguishedName(rdns: [[Attribute(type: type, value: value)]] + rdns)
    }

    public var parent: DistinguishedName? {
        rdns.isEmpty ? nil : DistinguishedName(rdns: Array(rdns.dropFirst()))
    }

    public func isDescendant(of ancestor: DistinguishedName) -> Bool {
        rdns.count > ancestor.rdns.count && Array(rdns.suffix(ancestor.rdns.count)) == ancestor.rdns
    }

    /// The DNS name spelt by the trailing `DC=` RDNs (`CN=x,DC=contoso,DC=com` -> `contoso.com`).
    public var domainDNSName: String? {
        var labels: [String] = []
        for rdn in rdns.reversed() {
            guard rdn.count == 1, rdn[0].type.lowercased() == "dc" else { break }
            labels.insert(rdn[0].value, at: 0)
        }
        return labels.isEmpty ? nil : labels.joined(separator: ".").lowercased()
    }

    public var description: String {
        rdns.map { rdn in
            rdn.map { "\($0.type)=\(Self.escape($0.value))" }.joined(separator: "+")
        }.joined(separator: ",")
    }

    /// Escapes an attribute value per RFC 4514 §2.4 (plus control characters as hex pairs).
    public static func escape(_ value: String) -> String {
        let scalars = Array(value.unicodeScalars)
        var out = ""
        for (i, s) in scalars.enumerated() {
            switch s {
            case "\"", "+", ",", ";", "<", ">", "\\", "=":
                out += "\\"
                out.unicodeScalars.append(s)
            case " " where i == 0 || i == scalars.count - 1:
                out += "\\ "
            case "#" where i == 0:
                out += "\\#"
            default:
                if s.value < 0x20 || s.value == 0x7f {
                    out += "\\" + Hex.string(UInt8(s.value), uppercase: true)
                } else {
                    out.unicodeScalars.append(s)
                }
            }
        }
        return out
    }

    /// RFC 4514 over the string's UTF-8 bytes: every delimiter is ASCII, and a value is collected
    /// as bytes anyway (escapes are bytes). Positions in errors count Unicode scalars, as the
    /// string reads. (Over `Unicode.Scalar`s, with a String made per character, parsing the DNs
    /// of a 16-domain `get` took 22 M instructions, 8% of the run.)
    private struct Parser {
        let s: [UInt8]
        var i = 0
        init(_ string: String) { s = Array(string.utf8) }

        static let space = UInt8(ascii: " ")
        /// What may follow a backslash besides a hex pair (RFC 4514 §3: escaped special characters).
        static let escapable = Array("\"+,;<>\\= #".utf8)

        /// Byte offset `at` as a position in Unicode scalars (UTF-8 continuation bytes not counted).
        func position(_ at: Int) -> Int { s[..<min(at, s.count)].reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) } }

        /// The character that starts at byte `at`.
        func character(at: Int) -> Character {
            var end = at + 1
            while end < s.count, s[end] & 0xC0 == 0x80 { end += 1 }
            return String(decoding: s[at..<end], as: UTF8.self).first ?? "\u{FFFD}"
        }

        mutating func skipSpaces() { while i < s.count, s[i] == Self.space { i += 1 } }

        mutating func parse() throws(ParseError) -> [RDN] {
            skipSpaces()
            if i == s.count { return [] }
            var rdns: [RDN] = []
            var current: RDN = []
            while true {
                current.append(try attributeTypeAndValue())
                guard i < s.count else { break }
                let separator = s[i]
                i += 1
                if separator == UInt8(ascii: "+") { continue }
                if separator == UInt8(ascii: ",") || separator == UInt8(ascii: ";") {
                    rdns.append(current)
                    current = []
                    continue
                }
                throw .unexpectedCharacter(character(at: i - 1), position: position(i - 1))
            }
            rdns.append(current)
            return rdns
        }

        mutating func attributeTypeAndValue() throws(ParseError) -> Attribute {
            skipSpaces()
            let start = i
            while i < s.count, s[i] != UInt8(ascii: "="), s[i] != UInt8(ascii: ","), s[i] != UInt8(ascii: "+"), s[i] != UInt8(ascii: ";") {
                i += 1
            }
            guard i < s.count, s[i] == UInt8(ascii: "=") else {
                if start == i { throw .empty }
                throw .missingEquals(position: position(i))
            }
            var end = i
            while end > start, s[end - 1] == Self.space { end -= 1 }
            let type = String(decoding: s[start..<end], as: UTF8.self)
            // the scan above stops at ';', so a type never carries attribute options
            let bare = type.lowercased().hasPrefix("oid.") ? String(type.dropFirst(4)) : type
            guard LDAPFilter.isValidAttribute(bare) else { throw .invalidAttributeType(type) }
            i += 1  // '='
            skipSpaces()
            return Attribute(type: type, value: try value())
        }

        mutating func value() throws(ParseError) -> String {
            if i < s.count, s[i] == UInt8(ascii: "#") {
                // hexstring form of a BER encoding: kept as written
                let start = i
                i += 1
                while i < s.count, Hex.digit(s[i]) != nil { i += 1 }
                guard (i - start - 1) % 2 == 0, i - start > 1 else { throw .invalidEscape(position: position(start)) }
                let v = String(decoding: s[start..<i], as: UTF8.self)
                skipSpaces()
                return v
            }
            var bytes: [UInt8] = []
            var trailingUnescapedSpaces = 0
            while i < s.count {
                let c = s[i]
                if c == UInt8(ascii: ",") || c == UInt8(ascii: "+") || c == UInt8(ascii: ";") { break }
                if c == UInt8(ascii: "\\") {
                    trailingUnescapedSpaces = 0
                    guard i + 1 < s.count else { throw .invalidEscape(position: position(i)) }
                    let n = s[i + 1]
                    if let high = Hex.digit(n) {
                        guard i + 2 < s.count, let low = Hex.digit(s[i + 2]) else { throw .invalidEscape(position: position(i)) }
                        bytes.append(high << 4 | low)
                        i += 3
                    } else if Self.escapable.contains(n) {
                        bytes.append(n)
                        i += 2
                    } else {
                        throw .invalidEscape(position: position(i))
                    }
                    continue
                }
                if c == UInt8(ascii: "\"") || c == UInt8(ascii: "<") || c == UInt8(ascii: ">") || c == 0 {
                    throw .unexpectedCharacter(character(at: i), position: position(i))
                }
                trailingUnescapedSpaces = c == Self.space ? trailingUnescapedSpaces + 1 : 0
                bytes.append(c)
                i += 1
            }
            bytes.removeLast(trailingUnescapedSpaces)
            guard let v = String(validating: bytes, as: UTF8.self) else { throw .invalidUTF8 }
            return v
        }
    }
}
