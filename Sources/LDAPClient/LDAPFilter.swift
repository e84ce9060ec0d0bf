import Basics
/// An LDAP search filter (RFC 4515) built from typed parts, so that values are always escaped
/// and can never change the filter's structure.
public indirect enum LDAPFilter: Sendable, Hashable, CustomStringConvertible {
    case equal(String, String)
    /// Equality against a binary value (objectGUID, objectSid, invocationId): every byte escaped.
    case equalBytes(String, [UInt8])
    case present(String)
    case and([LDAPFilter])
    case or([LDAPFilter])
    case not(LDAPFilter)
    /// The extensible match `attr:1.2.840.113556.1.4.803:=value` (LDAP_MATCHING_RULE_BIT_AND).
    case bitwiseAnd(String, UInt32)

    /// The filter's string form. Assertion values are escaped. Attribute descriptions are not
    /// escaped but checked (`isValidAttribute`): they come from the program, never from input, so
    /// one that is not an attribute description (`cn)(x`, empty) is a programming error and
    /// stops the program here rather than reach a DC as a filter of another shape.
    public var description: String {
        switch self {
        case let .equal(attribute, value):
            return "(\(Self.checked(attribute))=\(Self.escape(value)))"
        case let .equalBytes(attribute, bytes):
            return "(\(Self.checked(attribute))=\(Self.escape(bytes: bytes)))"
        case let .present(attribute):
            return "(\(Self.checked(attribute))=*)"
        case let .and(parts):
            return "(&" + parts.map(\.description).joined() + ")"
        case let .or(parts):
            return "(|" + parts.map(\.description).joined() + ")"
        case let .not(part):
            return "(!" + part.description + ")"
        case let .bitwiseAnd(attribute, mask):
            return "(\(Self.checked(attribute)):1.2.840.113556.1.4.803:=\(mask))"
        }
    }

    private static func checked(_ attribute: String) -> String {
        precondition(isValidAttribute(attribute), "LDAPFilter: \"\(attribute)\" is not an attribute description (RFC 4512 2.5)")
        return attribute
    }

    /// Escapes an assertion value per RFC 4515 §3: `*`, `(`, `)`, `\` and NUL become `\2a`, `\28`,
    /// `\29`, `\5c`, `\00`. Other characters, including non-ASCII UTF-8, are left as they are.
    public static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "*": out += "\\2a"
            case "(": out += "\\28"
            case ")": out += "\\29"
            case "\\": out += "\\5c"
            case "\0": out += "\\00"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Escapes every byte of a binary assertion value as `\xx`.
    public static func escape(bytes: [UInt8]) -> String {
        var out = ""
        out.reserveCapacity(bytes.count * 3)
        for byte in bytes {
            out += "\\"
            out += Hex.string(byte)
        }
        return out
    }

    /// An attribute description per RFC 4512 §2.5: a name (`ALPHA *(ALPHA / DIGIT / "-")`) or a
    /// numeric OID, optionally followed by `;option`s.
    public static func isValidAttribute(_ description: String) -> Bool {
        let parts = description.split(separator: ";", omittingEmptySubsequences: false)
        guard let type = parts.first, !type.isEmpty else { return false }
        func isKeystring(_ s: Substring) -> Bool {
            guard let first = s.unicodeScalars.first, first.isASCIILetter else { return false }
            return s.unicodeScalars.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || $0 == "-" }
        }
        func isNumericOID(_ s: Substring) -> Bool {
            let arcs = s.split(separator: ".", omittingEmptySubsequences: false)
            return arcs.count >= 2 && arcs.allSatisfy { arc in
                !arc.isEmpty && arc.unicodeScalars.allSatisfy(\.isASCIIDigit)
                    && (arc == "0" || arc.first != "0")
            }
        }
        guard isKeystring(type) || isNumericOID(type) else { return false }
        return parts.dropFirst().allSatisfy { !$0.isEmpty && isKeystring($0) }
    }
}

extension Unicode.Scalar {
    var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
