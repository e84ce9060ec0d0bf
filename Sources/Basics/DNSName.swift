/// RFC 1123 host-name syntax for AD DNS domain names: dot-separated labels of 1-63 ASCII letters,
/// digits and hyphens, not starting or ending with a hyphen, 253 characters at most.
public enum DNSName {
    public static func isValid(_ name: String) -> Bool {
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        return !name.isEmpty && name.utf8.count <= 253 && labels.allSatisfy { label in
            (1...63).contains(label.utf8.count)
                && label.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d }
                && label.first != "-" && label.last != "-"
        }
    }
}
