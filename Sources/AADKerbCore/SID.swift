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

/// Parses `S-1-5-21-...` into the binary form (the inverse of `formatSID`); nil if malformed.
public func parseSID(_ sid: String) -> [UInt8]? {
    let parts = sid.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count >= 3, parts.count <= 3 + 15, parts[0] == "S", parts[1] == "1",
          let authority = UInt64(parts[2]), authority < 1 << 48 else { return nil }
    let subs = parts.dropFirst(3).compactMap { UInt32($0) }
    guard subs.count == parts.count - 3 else { return nil }
    var bytes: [UInt8] = [1, UInt8(subs.count)]
    bytes += (0..<6).reversed().map { UInt8((authority >> (8 * UInt64($0))) & 0xff) }
    for sub in subs { bytes += [UInt8(sub & 0xff), UInt8((sub >> 8) & 0xff), UInt8((sub >> 16) & 0xff), UInt8(sub >> 24)] }
    return bytes
}
