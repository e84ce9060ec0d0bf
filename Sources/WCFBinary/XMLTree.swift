/// A small XML element tree: what the binary encoding carries, without a DOM library.
/// Namespace declarations are kept as attributes (`xmlns` or `xmlns:p`), as written.
public struct XElement: Sendable, Equatable {
    /// "" when the element has no prefix.
    public var prefix: String
    public var name: String
    public var attributes: [XAttribute]
    public var children: [XNode]

    public init(prefix: String = "", _ name: String, attributes: [XAttribute] = [], children: [XNode] = []) {
        self.prefix = prefix
        self.name = name
        self.attributes = attributes
        self.children = children
    }

    public var qualifiedName: String { prefix.isEmpty ? name : "\(prefix):\(name)" }

    /// The concatenated text of the direct text children.
    public var text: String {
        children.reduce(into: "") { if case .text(let s) = $1 { $0 += s } }
    }

    public var elements: [XElement] {
        children.compactMap { if case .element(let e) = $0 { e } else { nil } }
    }

    /// The first child element with this local name (any prefix).
    public func child(_ localName: String) -> XElement? { elements.first { $0.name == localName } }

    /// The first element with this local name, depth first (self included).
    public func first(_ localName: String) -> XElement? {
        if name == localName { return self }
        for e in elements { if let hit = e.first(localName) { return hit } }
        return nil
    }

    public func attribute(_ name: String) -> String? { attributes.first { $0.name == name && $0.prefix != "xmlns" }?.value }

    /// The namespace URI the prefix resolves to in this element's declarations (not its parents').
    public func declaredNamespace(_ prefix: String) -> String? {
        attributes.first { prefix.isEmpty ? ($0.prefix.isEmpty && $0.name == "xmlns") : ($0.prefix == "xmlns" && $0.name == prefix) }?.value
    }

    /// Plain XML text (no declaration), attribute values and text escaped.
    public func xmlString(indent: String? = nil) -> String {
        var out = ""
        write(to: &out, indent: indent, level: 0)
        return out
    }

    private func write(to out: inout String, indent: String?, level: Int) {
        let pad = indent.map { String(repeating: $0, count: level) } ?? ""
        out += pad + "<" + qualifiedName
        for a in attributes { out += " \(a.qualifiedName)=\"\(XMLEscape.attribute(a.value))\"" }
        if children.isEmpty { out += "/>"; return }
        out += ">"
        let onlyText = children.allSatisfy { if case .element = $0 { false } else { true } }
        for c in children {
            switch c {
            case .text(let s): out += XMLEscape.text(s)
            case .comment(let s): out += "<!--\(s)-->"
            case .element(let e):
                if indent != nil { out += "\n" }
                e.write(to: &out, indent: indent, level: level + 1)
            }
        }
        if indent != nil && !onlyText { out += "\n" + pad }
        out += "</\(qualifiedName)>"
    }
}

public struct XAttribute: Sendable, Equatable {
    public var prefix: String
    public var name: String
    public var value: String
    public init(prefix: String = "", _ name: String, _ value: String) {
        self.prefix = prefix
        self.name = name
        self.value = value
    }
    public var qualifiedName: String { prefix.isEmpty ? name : "\(prefix):\(name)" }
    /// `xmlns="uri"` or `xmlns:p="uri"`.
    public static func namespace(_ prefix: String, _ uri: String) -> XAttribute {
        prefix.isEmpty ? XAttribute("xmlns", uri) : XAttribute(prefix: "xmlns", prefix, uri)
    }
    public var isNamespaceDeclaration: Bool { prefix == "xmlns" || (prefix.isEmpty && name == "xmlns") }
}

public enum XNode: Sendable, Equatable {
    case element(XElement)
    case text(String)
    case comment(String)
}

enum XMLEscape {
    static func text(_ s: String) -> String {
        var o = ""
        o.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\r": o += "&#xD;"
            default: o.unicodeScalars.append(ch)
            }
        }
        return o
    }
    static func attribute(_ s: String) -> String {
        var o = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            case "\n": o += "&#xA;"
            case "\r": o += "&#xD;"
            case "\t": o += "&#x9;"
            default: o.unicodeScalars.append(ch)
            }
        }
        return o
    }
}
