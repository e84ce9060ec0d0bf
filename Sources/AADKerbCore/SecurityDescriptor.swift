/// Who may replicate secrets from a domain: the trustees of the domain head's DACL that are
/// granted DS-Replication-Get-Changes-All (MS-ADTS 5.1.3.2.1), directly or through all extended
/// rights or GENERIC_ALL. Read from a self-relative SECURITY_DESCRIPTOR (MS-DTYP 2.4.6); a
/// malformed one yields what could be read, never a trap.
public enum SecurityDescriptor {
    /// DS-Replication-Get-Changes-All, as the GUID's bytes appear in an ACE (little-endian fields).
    static let getChangesAll: [UInt8] = guidBytes("1131f6ad-9c07-11d1-f79f-00c04fc2dcd2")

    static let controlAccess: UInt32 = 0x100, genericAll: UInt32 = 0x1000_0000, fullControl: UInt32 = 0x000f_01ff

    /// The SIDs (S-1-...) granted the right to replicate secrets, each once, in DACL order.
    public static func replicationTrustees(_ sd: [UInt8]) -> [String] {
        func u16(_ o: Int) -> Int? { o >= 0 && o + 2 <= sd.count ? Int(sd[o]) | Int(sd[o + 1]) << 8 : nil }
        func u32(_ o: Int) -> UInt32? { o >= 0 && o + 4 <= sd.count ? (0..<4).reduce(UInt32(0)) { $0 | UInt32(sd[o + $1]) << (8 * $1) } : nil }
        guard sd.count >= 20, let control = u16(2), control & 0x4 != 0, let daclOffset = u32(16).map(Int.init), daclOffset > 0,
              let count = u16(daclOffset + 4) else { return [] }
        var trustees: [String] = []
        var ace = daclOffset + 8
        for _ in 0..<count {
            guard ace + 8 <= sd.count, let size = u16(ace + 2), size >= 8, ace + size <= sd.count, let mask = u32(ace + 4) else { break }
            let type = sd[ace]
            var sidAt: Int?
            var granted = false
            if type == 0x00 {  // ACCESS_ALLOWED: any right, no object type
                sidAt = ace + 8
                granted = mask & genericAll != 0 || mask & fullControl == fullControl || mask & controlAccess != 0
            } else if type == 0x05, let flags = u32(ace + 8) {  // ACCESS_ALLOWED_OBJECT
                var at = ace + 12
                var objectType: [UInt8]?
                if flags & 1 != 0 { objectType = at + 16 <= ace + size ? Array(sd[at..<at + 16]) : nil; at += 16 }
                if flags & 2 != 0 { at += 16 }  // inherited object type: which child class inherits it
                sidAt = at
                // an inherit-only ACE (flag 0x08) does not apply to the domain head itself
                granted = sd[ace + 1] & 0x08 == 0 && mask & controlAccess != 0 && (objectType == nil || objectType == getChangesAll)
                    && (flags & 2 == 0)
            }
            if granted, let sidAt, sidAt + 8 <= ace + size, sidAt + 8 + 4 * Int(sd[sidAt + 1]) <= ace + size,
               let sid = formatSID(Array(sd[sidAt..<(sidAt + 8 + 4 * Int(sd[sidAt + 1]))])), !trustees.contains(sid) {
                trustees.append(sid)
            }
            ace += size
        }
        return trustees
    }

    /// A GUID's bytes as they appear in an ACE or an attribute (the first three fields little-endian).
    public static func guidBytes(_ text: String) -> [UInt8] {
        let hex = text.replacingOccurrences(of: "-", with: "")
        let raw = stride(from: 0, to: 32, by: 2).map { i -> UInt8 in
            let start = hex.index(hex.startIndex, offsetBy: i)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
        }
        return Array(raw[0..<4].reversed()) + Array(raw[4..<6].reversed()) + Array(raw[6..<8].reversed()) + Array(raw[8...])
    }
}
