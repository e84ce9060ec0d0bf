/// Formats a binary security identifier (MS-DTYP 2.4.2.2) as `S-1-5-21-...`.
public func formatSID(_ b: [UInt8]) -> String? {
    guard b.count >= 8, b[0] == 1, b.count == 8 + 4 * Int(b[1]) else { return nil }
    let authority = b[2..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    var parts = ["S", "1", String(authority)]
    for i in 0..<Int(b[1]) {
        let o = 8 + 4 * i
        parts.append(String(UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24))
    }
    return parts.joined(separator: "-")
}
