import Foundation
import Basics

/// Why a binary document was refused. Every refusal names the byte offset where it was found.
public enum WCFBinaryError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input ends inside a record.
    case truncated(offset: Int)
    /// A MultiByteInt31 longer than 5 bytes, or over 2^31 - 1, or a length past the limits.
    case lengthOverflow(offset: Int)
    /// Elements nested deeper than the limit.
    case tooDeep(offset: Int, limit: Int)
    /// More nodes, bytes or string-table entries than the limits allow.
    case tooLarge(offset: Int, what: String)
    case unknownRecord(type: UInt8, offset: Int)
    /// A DictionaryString id with no string: not in the static dictionary, nor (odd ids) in the
    /// session's in-band strings.
    case unknownDictionaryString(id: Int, offset: Int)
    case invalidUTF8(offset: Int)
    /// An EndElement with no open element, an element left open at the end, an attribute outside
    /// an element start, a record where the grammar allows none.
    case malformed(offset: Int, reason: String)

    public var description: String {
        switch self {
        case .truncated(let o): "binary XML truncated at byte \(o)"
        case .lengthOverflow(let o): "binary XML length field out of range at byte \(o)"
        case .tooDeep(let o, let l): "binary XML nested deeper than \(l) at byte \(o)"
        case .tooLarge(let o, let w): "binary XML too large (\(w)) at byte \(o)"
        case .unknownRecord(let t, let o): String(format: "unknown binary XML record type 0x%02X at byte %d", t, o)
        case .unknownDictionaryString(let id, let o): "unknown dictionary string \(id) at byte \(o)"
        case .invalidUTF8(let o): "invalid UTF-8 in binary XML at byte \(o)"
        case .malformed(let o, let r): "malformed binary XML at byte \(o): \(r)"
        }
    }
}

/// Bounds for the decoder: a hostile peer gets an error, never a crash or an unbounded allocation.
public struct WCFBinaryLimits: Sendable {
    public var maxDepth: Int
    public var maxBytes: Int
    public var maxNodes: Int
    /// Elements one Array record may expand to.
    public var maxArrayLength: Int
    public var maxSessionStrings: Int
    public init(maxDepth: Int = 64, maxBytes: Int = 4 << 20, maxNodes: Int = 100_000, maxArrayLength: Int = 10_000,
                maxSessionStrings: Int = 4096) {
        self.maxDepth = maxDepth
        self.maxBytes = maxBytes
        self.maxNodes = maxNodes
        self.maxArrayLength = maxArrayLength
        self.maxSessionStrings = maxSessionStrings
    }
    public static let `default` = WCFBinaryLimits()
}

/// MC-NBFSE's in-band dictionary: the strings a session has sent, with odd ids 1, 3, 5, ... in
/// the order they arrived. One per connection and direction; each message may add strings.
public struct SessionDictionary: Sendable, Equatable {
    public private(set) var strings: [String] = []
    public init() {}
    public func string(id: Int) -> String? {
        guard id > 0, id % 2 == 1, (id - 1) / 2 < strings.count else { return nil }
        return strings[(id - 1) / 2]
    }
    public func id(of s: String) -> Int? { strings.firstIndex(of: s).map { 2 * $0 + 1 } }
    mutating func add(_ s: String) -> Int { strings.append(s); return 2 * (strings.count - 1) + 1 }
}

/// Reads MC-NBFX records (MC-NBFS's static dictionary for even DictionaryString ids; the session
/// dictionary of MC-NBFSE for odd ones) into an element tree.
public struct WCFBinaryDecoder {
    public var limits: WCFBinaryLimits
    public init(limits: WCFBinaryLimits = .default) { self.limits = limits }

    /// An `application/soap+msbin1` body (MC-NBFS): records only, no string table.
    public func decode(_ data: [UInt8]) throws(WCFBinaryError) -> XElement {
        var session: SessionDictionary? = nil
        return try root(decodeNodes(data, session: &session))
    }

    /// An `application/soap+msbinsession1` message (MC-NBFSE): a StringTable whose strings join
    /// the session's, then the records.
    public func decodeSession(_ data: [UInt8], session: inout SessionDictionary) throws(WCFBinaryError) -> XElement {
        var r = Reader(bytes: data, limits: limits)
        guard data.count <= limits.maxBytes else { throw .tooLarge(offset: 0, what: "\(data.count) bytes") }
        let size = try r.multiByteInt31()
        guard size <= r.remaining else { throw .truncated(offset: r.offset) }
        let end = r.offset + size
        while r.offset < end {
            let start = r.offset
            let s = try r.string()
            guard r.offset <= end else { throw .malformed(offset: start, reason: "string table entry runs past the table") }
            guard session.strings.count < limits.maxSessionStrings else { throw .tooLarge(offset: start, what: "session strings") }
            _ = session.add(s)
        }
        var s: SessionDictionary? = session
        let nodes = try decodeNodes(Array(data[end...]), session: &s, baseOffset: end)
        return try root(nodes)
    }

    /// Every top-level node (a document fragment may hold several).
    public func decodeNodes(_ data: [UInt8], session: inout SessionDictionary?, baseOffset: Int = 0) throws(WCFBinaryError) -> [XNode] {
        guard data.count <= limits.maxBytes else { throw .tooLarge(offset: 0, what: "\(data.count) bytes") }
        var r = Reader(bytes: data, limits: limits, base: baseOffset)
        r.session = session
        return try r.document()
    }

    private func root(_ nodes: [XNode]) throws(WCFBinaryError) -> XElement {
        let elements = nodes.compactMap { if case .element(let e) = $0 { e } else { nil } }
        guard elements.count == 1 else { throw .malformed(offset: 0, reason: "\(elements.count) root elements") }
        for n in nodes { if case .text(let t) = n, !t.allSatisfy(\.isWhitespace) { throw .malformed(offset: 0, reason: "text outside the root element") } }
        return elements[0]
    }
}

struct Reader {
    let bytes: [UInt8]
    let limits: WCFBinaryLimits
    var base = 0
    var pos = 0
    var nodes = 0
    var session: SessionDictionary?

    init(bytes: [UInt8], limits: WCFBinaryLimits, base: Int = 0) {
        self.bytes = bytes
        self.limits = limits
        self.base = base
    }

    var offset: Int { base + pos }
    var remaining: Int { bytes.count - pos }

    mutating func byte() throws(WCFBinaryError) -> UInt8 {
        guard pos < bytes.count else { throw .truncated(offset: offset) }
        defer { pos += 1 }
        return bytes[pos]
    }

    mutating func take(_ n: Int) throws(WCFBinaryError) -> ArraySlice<UInt8> {
        guard n >= 0 else { throw .lengthOverflow(offset: offset) }
        guard n <= remaining else { throw .truncated(offset: offset) }
        defer { pos += n }
        return bytes[pos..<(pos + n)]
    }

    mutating func littleEndian<T: FixedWidthInteger>(_: T.Type) throws(WCFBinaryError) -> T {
        let s = try take(MemoryLayout<T>.size)
        var v: T = 0
        for (i, b) in s.enumerated() { v |= T(truncatingIfNeeded: b) << (8 * i) }
        return v
    }

    /// MC-NBFX 2.1.2: 7 bits a byte, low first, high bit = more; at most 5 bytes, at most 2^31 - 1.
    mutating func multiByteInt31() throws(WCFBinaryError) -> Int {
        let start = offset
        var value: UInt64 = 0
        for i in 0..<5 {
            let b = try byte()
            value |= UInt64(b & 0x7F) << (7 * UInt64(i))
            if b & 0x80 == 0 {
                guard value <= UInt64(Int32.max) else { throw .lengthOverflow(offset: start) }
                return Int(value)
            }
        }
        throw .lengthOverflow(offset: start)
    }

    mutating func utf8(count: Int) throws(WCFBinaryError) -> String {
        let start = offset
        let s = try take(count)
        guard let text = String(validating: s, as: UTF8.self) else { throw .invalidUTF8(offset: start) }
        return text
    }

    /// MC-NBFX 2.1.3 String: MultiByteInt31 length, then UTF-8.
    mutating func string() throws(WCFBinaryError) -> String {
        let n = try multiByteInt31()
        return try utf8(count: n)
    }

    /// MC-NBFX 2.1.4 DictionaryString: even ids from MC-NBFS's static table, odd from the session.
    mutating func dictionaryString() throws(WCFBinaryError) -> String {
        let start = offset
        let id = try multiByteInt31()
        if id % 2 == 0, let s = StaticDictionary.string(id: id) { return s }
        if id % 2 == 1, let s = session?.string(id: id) { return s }
        throw .unknownDictionaryString(id: id, offset: start)
    }

    mutating func countNode() throws(WCFBinaryError) {
        nodes += 1
        if nodes > limits.maxNodes { throw .tooLarge(offset: offset, what: "more than \(limits.maxNodes) nodes") }
    }

    // MARK: - Grammar

    /// Records until the input ends; every element must be closed.
    mutating func document() throws(WCFBinaryError) -> [XNode] {
        var top: [XNode] = []
        // The open elements, innermost last.
        var stack: [XElement] = []
        func append(_ n: XNode, _ stack: inout [XElement], _ top: inout [XNode]) {
            if stack.isEmpty { top.append(n) } else { stack[stack.count - 1].children.append(n) }
        }
        func close(_ stack: inout [XElement], _ top: inout [XNode]) {
            let e = stack.removeLast()
            append(.element(e), &stack, &top)
        }
        while pos < bytes.count {
            let at = offset
            let type = try byte()
            switch type {
            case 0x01:
                guard !stack.isEmpty else { throw .malformed(offset: at, reason: "EndElement with no open element") }
                close(&stack, &top)
            case 0x02:
                try countNode()
                append(.comment(try string()), &stack, &top)
            case 0x03:
                for e in try array(at: at) { append(.element(e), &stack, &top) }
            case 0x40...0x77:
                try countNode()
                guard stack.count < limits.maxDepth else { throw .tooDeep(offset: at, limit: limits.maxDepth) }
                var e = try elementStart(type)
                e.attributes = try attributes()
                stack.append(e)
            case 0x80...0xBD:
                try countNode()
                let text = try textValue(type, at: at)
                guard !stack.isEmpty || type & 1 == 0 else { throw .malformed(offset: at, reason: "text record ends an element that is not open") }
                append(.text(text), &stack, &top)
                if type & 1 == 1 { close(&stack, &top) }
            case 0x04...0x3F:
                throw .malformed(offset: at, reason: String(format: "attribute record 0x%02X outside an element start", type))
            default:
                throw .unknownRecord(type: type, offset: at)
            }
        }
        if !stack.isEmpty { throw .truncated(offset: offset) }
        return top
    }

    /// Element records 0x40-0x77: the name (and prefix) only.
    mutating func elementStart(_ type: UInt8) throws(WCFBinaryError) -> XElement {
        switch type {
        case 0x40: return XElement(try string())
        case 0x41:
            let p = try string()
            return XElement(prefix: p, try string())
        case 0x42: return XElement(try dictionaryString())
        case 0x43:
            let p = try string()
            return XElement(prefix: p, try dictionaryString())
        case 0x44...0x5D: return XElement(prefix: Self.letter(type - 0x44), try dictionaryString())
        case 0x5E...0x77: return XElement(prefix: Self.letter(type - 0x5E), try string())
        default: throw .unknownRecord(type: type, offset: offset - 1)
        }
    }

    static func letter(_ i: UInt8) -> String { String(UnicodeScalar(UInt8(ascii: "a") + i)) }

    /// The attribute records right after an element record.
    mutating func attributes() throws(WCFBinaryError) -> [XAttribute] {
        var out: [XAttribute] = []
        while pos < bytes.count, (0x04...0x3F).contains(bytes[pos]) {
            try countNode()
            let at = offset
            let type = try byte()
            switch type {
            case 0x04:
                let n = try string()
                out.append(XAttribute(n, try attributeText(at)))
            case 0x05:
                let p = try string()
                let n = try string()
                out.append(XAttribute(prefix: p, n, try attributeText(at)))
            case 0x06:
                let n = try dictionaryString()
                out.append(XAttribute(n, try attributeText(at)))
            case 0x07:
                let p = try string()
                let n = try dictionaryString()
                out.append(XAttribute(prefix: p, n, try attributeText(at)))
            case 0x08: out.append(.namespace("", try string()))
            case 0x09:
                let p = try string()
                out.append(.namespace(p, try string()))
            case 0x0A: out.append(.namespace("", try dictionaryString()))
            case 0x0B:
                let p = try string()
                out.append(.namespace(p, try dictionaryString()))
            case 0x0C...0x25:
                let n = try dictionaryString()
                out.append(XAttribute(prefix: Self.letter(type - 0x0C), n, try attributeText(at)))
            default:  // 0x26...0x3F
                let n = try string()
                out.append(XAttribute(prefix: Self.letter(type - 0x26), n, try attributeText(at)))
            }
        }
        return out
    }

    /// An attribute's value: one text record, never a WithEndElement one.
    mutating func attributeText(_ at: Int) throws(WCFBinaryError) -> String {
        let t = offset
        let type = try byte()
        guard (0x80...0xBD).contains(type) else {
            throw type >= 0x80 ? .unknownRecord(type: type, offset: t) : .malformed(offset: t, reason: "attribute without a text value")
        }
        guard type & 1 == 0 else { throw .malformed(offset: t, reason: "attribute value ends an element") }
        return try textValue(type, at: t)
    }

    /// MC-NBFX 2.2.3: a text record's characters. `type` may be the WithEndElement (odd) variant.
    mutating func textValue(_ type: UInt8, at: Int) throws(WCFBinaryError) -> String {
        switch type & 0xFE {
        case 0x80: return "0"
        case 0x82: return "1"
        case 0x84: return "false"
        case 0x86: return "true"
        case 0x88: return String(Int8(bitPattern: try byte()))
        case 0x8A: return String(try littleEndian(Int16.self))
        case 0x8C: return String(try littleEndian(Int32.self))
        case 0x8E: return String(try littleEndian(Int64.self))
        case 0x90: return TextFormat.float(Float(bitPattern: try littleEndian(UInt32.self)))
        case 0x92: return TextFormat.double(Double(bitPattern: try littleEndian(UInt64.self)))
        case 0x94: return try TextFormat.decimal(Array(try take(16)), at: at)
        case 0x96: return try TextFormat.dateTime(try littleEndian(UInt64.self), at: at)
        case 0x98: return try utf8(count: Int(try byte()))
        case 0x9A: return try utf8(count: Int(try littleEndian(UInt16.self)))
        case 0x9C:
            let n = try littleEndian(Int32.self)
            guard n >= 0 else { throw .lengthOverflow(offset: offset - 4) }
            return try utf8(count: Int(n))
        case 0x9E: return Data(try take(Int(try byte()))).base64EncodedString()
        case 0xA0: return Data(try take(Int(try littleEndian(UInt16.self)))).base64EncodedString()
        case 0xA2:
            let n = try littleEndian(Int32.self)
            guard n >= 0 else { throw .lengthOverflow(offset: offset - 4) }
            return Data(try take(Int(n))).base64EncodedString()
        case 0xA4:
            guard type == 0xA4 else { throw .malformed(offset: at, reason: "StartListText has no WithEndElement form") }
            var items: [String] = []
            while true {
                let t = offset
                let inner = try byte()
                if inner == 0xA6 { break }
                guard (0x80...0xBD).contains(inner), inner & 1 == 0, inner != 0xA4 else {
                    throw .malformed(offset: t, reason: String(format: "record 0x%02X inside a list", inner))
                }
                try countNode()
                items.append(try textValue(inner, at: t))
            }
            return items.joined(separator: " ")
        case 0xA6: throw .malformed(offset: at, reason: "EndListText without StartListText")
        case 0xA8: return ""
        case 0xAA: return try dictionaryString()
        case 0xAC: return "urn:uuid:" + TextFormat.guid(Array(try take(16)))
        case 0xAE: return TextFormat.timeSpan(try littleEndian(Int64.self))
        case 0xB0: return TextFormat.guid(Array(try take(16)))
        case 0xB2: return String(try littleEndian(UInt64.self))
        case 0xB4:
            let b = try byte()
            guard b <= 1 else { throw .malformed(offset: at, reason: "BoolText value \(b)") }
            return b == 1 ? "true" : "false"
        case 0xB6: return try utf16(count: Int(try byte()))
        case 0xB8: return try utf16(count: Int(try littleEndian(UInt16.self)))
        case 0xBA:
            let n = try littleEndian(Int32.self)
            guard n >= 0 else { throw .lengthOverflow(offset: offset - 4) }
            return try utf16(count: Int(n))
        case 0xBC:
            let p = try byte()
            guard p < 26 else { throw .malformed(offset: at, reason: "QNameDictionaryText prefix \(p)") }
            let idAt = offset
            let raw = try take(3)
            let id = Int(raw[raw.startIndex]) | Int(raw[raw.startIndex + 1]) << 8 | Int(raw[raw.startIndex + 2]) << 16
            guard let name = id % 2 == 0 ? StaticDictionary.string(id: id) : session?.string(id: id) else {
                throw .unknownDictionaryString(id: id, offset: idAt)
            }
            return Self.letter(p) + ":" + name
        default: throw .unknownRecord(type: type, offset: at)
        }
    }

    mutating func utf16(count: Int) throws(WCFBinaryError) -> String {
        let start = offset
        guard count % 2 == 0 else { throw .malformed(offset: start, reason: "UTF-16 text of odd length") }
        let s = try take(count)
        var units: [UInt16] = []
        units.reserveCapacity(count / 2)
        var i = s.startIndex
        while i < s.endIndex { units.append(UInt16(s[i]) | UInt16(s[i + 1]) << 8); i += 2 }
        var out = ""
        var it = units.makeIterator()
        var codec = Unicode.UTF16()
        loop: while true {
            switch codec.decode(&it) {
            case .scalarValue(let v): out.unicodeScalars.append(v)
            case .emptyInput: break loop
            case .error: throw .invalidUTF8(offset: start)
            }
        }
        return out
    }

    /// MC-NBFX 2.2.3.31 Array: one element record (with its attributes), EndElement, the value
    /// type, a count, and that many fixed-size values, each read as a copy of the element.
    mutating func array(at: Int) throws(WCFBinaryError) -> [XElement] {
        let t = offset
        let etype = try byte()
        guard (0x40...0x77).contains(etype) else { throw .malformed(offset: t, reason: "Array without an element record") }
        var proto = try elementStart(etype)
        proto.attributes = try attributes()
        let endAt = offset
        guard try byte() == 0x01 else { throw .malformed(offset: endAt, reason: "Array element not ended") }
        let vt = offset
        let valueType = try byte()
        let size: Int
        switch valueType {
        case 0xB5: size = 1
        case 0x8B: size = 2
        case 0x8D, 0x91: size = 4
        case 0x8F, 0x93, 0x97, 0xAF: size = 8
        case 0x95, 0xB1: size = 16
        default: throw .malformed(offset: vt, reason: String(format: "Array of record type 0x%02X", valueType))
        }
        let countAt = offset
        let count = try multiByteInt31()
        guard count > 0 else { throw .malformed(offset: countAt, reason: "Array of length 0") }
        guard count <= limits.maxArrayLength else { throw .tooLarge(offset: countAt, what: "Array of \(count)") }
        guard count <= remaining / size else { throw .truncated(offset: offset) }
        var out: [XElement] = []
        out.reserveCapacity(count)
        for _ in 0..<count {
            try countNode()
            var e = proto
            e.children = [.text(try textValue(valueType, at: offset))]
            out.append(e)
        }
        return out
    }
}

/// The characters of the typed text records (MC-NBFX 2.2.3).
enum TextFormat {
    static func float(_ f: Float) -> String {
        if f.isNaN { return "NaN" }
        if f.isInfinite { return f < 0 ? "-INF" : "INF" }
        if f == f.rounded(), abs(f) < 1e15 { return String(Int64(f)) }
        return "\(f)"
    }
    static func double(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-INF" : "INF" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }

    /// .NET Decimal: wReserved(2) scale(1) sign(1) hi32(4) lo64(8), little endian.
    static func decimal(_ b: [UInt8], at: Int) throws(WCFBinaryError) -> String {
        let scale = Int(b[2])
        let negative = b[3] & 0x80 != 0
        guard scale <= 28 else { throw .malformed(offset: at, reason: "DecimalText scale \(scale)") }
        var hi: UInt32 = 0
        for i in 0..<4 { hi |= UInt32(b[4 + i]) << (8 * i) }
        var lo: UInt64 = 0
        for i in 0..<8 { lo |= UInt64(b[8 + i]) << (8 * i) }
        // 96-bit magnitude to decimal digits by repeated division.
        var words: [UInt32] = [hi, UInt32(lo >> 32), UInt32(lo & 0xFFFF_FFFF)]
        var digits: [Character] = []
        while words.contains(where: { $0 != 0 }) {
            var rem: UInt64 = 0
            for i in 0..<words.count {
                let cur = (rem << 32) | UInt64(words[i])
                words[i] = UInt32(cur / 10)
                rem = cur % 10
            }
            digits.append(Character(String(rem)))
        }
        var s = digits.isEmpty ? "0" : String(digits.reversed())
        if scale > 0 {
            if s.count <= scale { s = String(repeating: "0", count: scale - s.count + 1) + s }
            s.insert(".", at: s.index(s.endIndex, offsetBy: -scale))
        }
        return (negative && s.contains(where: { $0 != "0" && $0 != "." }) ? "-" : "") + s
    }

    /// DateTime: 62 bits of 100 ns ticks since 0001-01-01, 2 bits of kind (0 unspecified, 1 UTC, 2 local).
    static func dateTime(_ raw: UInt64, at: Int) throws(WCFBinaryError) -> String {
        let ticks = Int64(raw & 0x3FFF_FFFF_FFFF_FFFF)
        let kind = raw >> 62
        let maxTicks: Int64 = 3_155_378_975_999_999_999
        guard ticks <= maxTicks, kind != 3 else { throw .malformed(offset: at, reason: "DateTimeText out of range") }
        // Days since 0001-01-01 (proleptic Gregorian), then civil date.
        let ticksPerDay: Int64 = 864_000_000_000
        var days = ticks / ticksPerDay
        let rest = ticks % ticksPerDay
        // 400-year cycles
        let d400 = days / 146_097; days %= 146_097
        var d100 = days / 36_524; if d100 == 4 { d100 = 3 }; days -= d100 * 36_524
        let d4 = days / 1461; days %= 1461
        var d1 = days / 365; if d1 == 4 { d1 = 3 }; days -= d1 * 365
        let year = d400 * 400 + d100 * 100 + d4 * 4 + d1 + 1
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths: [Int64] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        var month = 0
        while days >= lengths[month] { days -= lengths[month]; month += 1 }
        let secondsTotal = rest / 10_000_000
        let fraction = rest % 10_000_000
        var s = String(format: "%04lld-%02d-%02lldT%02lld:%02lld:%02lld", year, month + 1, days + 1,
                       secondsTotal / 3600, (secondsTotal / 60) % 60, secondsTotal % 60)
        if fraction != 0 {
            var f = String(format: "%07lld", fraction)
            while f.hasSuffix("0") { f.removeLast() }
            s += "." + f
        }
        if kind == 1 { s += "Z" }
        return s
    }

    /// .NET Guid byte order: Data1 (4, LE), Data2 (2, LE), Data3 (2, LE), Data4 (8).
    static func guid(_ b: [UInt8]) -> String {
        Hex.guid(b) ?? ""
    }

    /// TimeSpan in 100 ns ticks, as xsd:duration (XmlConvert's form).
    static func timeSpan(_ ticks: Int64) -> String {
        if ticks == 0 { return "PT0S" }
        let neg = ticks < 0
        let t = ticks.magnitude
        let days = t / 864_000_000_000
        var rest = t % 864_000_000_000
        let hours = rest / 36_000_000_000; rest %= 36_000_000_000
        let minutes = rest / 600_000_000; rest %= 600_000_000
        let seconds = rest / 10_000_000
        let fraction = rest % 10_000_000
        var s = neg ? "-P" : "P"
        if days > 0 { s += "\(days)D" }
        if hours > 0 || minutes > 0 || seconds > 0 || fraction > 0 {
            s += "T"
            if hours > 0 { s += "\(hours)H" }
            if minutes > 0 { s += "\(minutes)M" }
            if seconds > 0 || fraction > 0 {
                s += "\(seconds)"
                if fraction > 0 {
                    var f = String(format: "%07llu", fraction)
                    while f.hasSuffix("0") { f.removeLast() }
                    s += "." + f
                }
                s += "S"
            }
        }
        return s
    }
}
