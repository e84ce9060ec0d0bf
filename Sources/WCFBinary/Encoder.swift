/// Writes an element tree as MC-NBFX records, the way WCF's binary writer does for string content:
/// names and namespace URIs found in MC-NBFS's static dictionary as DictionaryStrings, one-letter
/// lowercase prefixes with the Prefix* records, text as Chars8/16/32 (UTF-8), the last text of an
/// element in its WithEndElement form, an empty element closed by EndElement.
public struct WCFBinaryEncoder {
    public init() {}

    /// An `application/soap+msbin1` body (MC-NBFS).
    public func encode(_ root: XElement) -> [UInt8] {
        var w = Writer(session: nil)
        w.element(root)
        return w.out
    }

    /// An `application/soap+msbinsession1` message (MC-NBFSE): names and URIs missing from the
    /// static dictionary go into the session's in-band dictionary (new ones in this message's
    /// StringTable) and are referenced by their odd ids.
    public func encodeSession(_ root: XElement, session: inout SessionDictionary) -> [UInt8] {
        var w = Writer(session: session)
        w.element(root)
        var table: [UInt8] = []
        for s in w.newStrings { Writer.appendString(s, to: &table) }
        var out: [UInt8] = []
        Writer.appendMultiByteInt31(table.count, to: &out)
        out += table
        out += w.out
        session = w.session!
        return out
    }
}

struct Writer {
    var out: [UInt8] = []
    var session: SessionDictionary?
    var newStrings: [String] = []

    static func appendMultiByteInt31(_ v: Int, to out: inout [UInt8]) {
        precondition(v >= 0 && v <= Int(Int32.max))
        var v = UInt32(v)
        while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        out.append(UInt8(v))
    }

    static func appendString(_ s: String, to out: inout [UInt8]) {
        let u = Array(s.utf8)
        appendMultiByteInt31(u.count, to: &out)
        out += u
    }

    /// The DictionaryString id for s: the static table, else (with a session) the session's.
    mutating func dictionaryID(_ s: String) -> Int? {
        if let id = StaticDictionary.ids[s] { return id }
        guard session != nil else { return nil }
        if let id = session!.id(of: s) { return id }
        newStrings.append(s)
        return session!.add(s)
    }

    static func prefixLetter(_ p: String) -> UInt8? {
        guard p.utf8.count == 1, let c = p.utf8.first, c >= UInt8(ascii: "a"), c <= UInt8(ascii: "z") else { return nil }
        return c - UInt8(ascii: "a")
    }

    mutating func element(_ e: XElement) {
        let letter = Self.prefixLetter(e.prefix)
        if let id = dictionaryID(e.name) {
            if let letter { out.append(0x44 + letter) }
            else if e.prefix.isEmpty { out.append(0x42) }
            else { out.append(0x43); Self.appendString(e.prefix, to: &out) }
            Self.appendMultiByteInt31(id, to: &out)
        } else {
            if let letter { out.append(0x5E + letter) }
            else if e.prefix.isEmpty { out.append(0x40) }
            else { out.append(0x41); Self.appendString(e.prefix, to: &out) }
            Self.appendString(e.name, to: &out)
        }
        for a in e.attributes { attribute(a) }
        for (i, c) in e.children.enumerated() {
            switch c {
            case .element(let child): element(child)
            case .comment(let s): out.append(0x02); Self.appendString(s, to: &out)
            case .text(let s): text(s, endsElement: i == e.children.count - 1)
            }
        }
        if case .text = e.children.last {} else { out.append(0x01) }
    }

    mutating func attribute(_ a: XAttribute) {
        if a.isNamespaceDeclaration {
            let prefix = a.prefix == "xmlns" ? a.name : ""
            if let id = dictionaryID(a.value) {
                if prefix.isEmpty { out.append(0x0A) } else { out.append(0x0B); Self.appendString(prefix, to: &out) }
                Self.appendMultiByteInt31(id, to: &out)
            } else {
                if prefix.isEmpty { out.append(0x08) } else { out.append(0x09); Self.appendString(prefix, to: &out) }
                Self.appendString(a.value, to: &out)
            }
            return
        }
        let letter = Self.prefixLetter(a.prefix)
        if let id = dictionaryID(a.name) {
            if let letter { out.append(0x0C + letter) }
            else if a.prefix.isEmpty { out.append(0x06) }
            else { out.append(0x07); Self.appendString(a.prefix, to: &out) }
            Self.appendMultiByteInt31(id, to: &out)
        } else {
            if let letter { out.append(0x26 + letter) }
            else if a.prefix.isEmpty { out.append(0x04) }
            else { out.append(0x05); Self.appendString(a.prefix, to: &out) }
            Self.appendString(a.name, to: &out)
        }
        text(a.value, endsElement: false)
    }

    mutating func text(_ s: String, endsElement: Bool) {
        let end: UInt8 = endsElement ? 1 : 0
        let u = Array(s.utf8)
        if u.isEmpty { out.append(0xA8 | end); return }
        if u.count <= 0xFF {
            out.append(0x98 | end); out.append(UInt8(u.count))
        } else if u.count <= 0xFFFF {
            out.append(0x9A | end); out.append(UInt8(u.count & 0xFF)); out.append(UInt8(u.count >> 8))
        } else {
            out.append(0x9C | end)
            for i in 0..<4 { out.append(UInt8((u.count >> (8 * i)) & 0xFF)) }
        }
        out += u
    }
}
