/// ATTRTYP <-> OID through a schema prefix table (MS-DRSR 5.16.4). An ATTRTYP's upper 16 bits
/// index a BER-encoded OID prefix, its lower 16 bits hold the last arc (one or two BER bytes).
struct PrefixTable: Equatable {
    /// ndx -> BER bytes of the OID prefix.
    var prefixes: [UInt32: [UInt8]]

    /// The entries of MS-DRSR's default table that this client uses to name attributes in a
    /// request; 1.2.840.113556.1.4 (index 9) holds every attribute read here.
    static let requestDefaults = PrefixTable(prefixes: [9: BER.encode(oid: "1.2.840.113556.1.4")!])

    /// The OID an ATTRTYP stands for, or nil if its prefix is not in the table.
    func oid(for attrType: UInt32) -> String? {
        guard var binary = prefixes[attrType >> 16] else { return nil }
        var lower = attrType & 0xffff
        if lower < 128 {
            binary.append(UInt8(lower))
        } else {
            if lower >= 32768 { lower -= 32768 }
            binary.append(UInt8((lower / 128) % 128) + 128)
            binary.append(UInt8(lower % 128))
        }
        return BER.decode(oid: binary)
    }

    /// The ATTRTYP of `oid`, if its prefix is already in the table (MakeAttid without adding).
    func attrType(for oid: String) -> UInt32? {
        guard let last = oid.split(separator: ".").last.flatMap({ UInt32($0) }), var binary = BER.encode(oid: oid) else { return nil }
        binary.removeLast(last < 128 ? 1 : 2)
        guard let ndx = prefixes.first(where: { $0.value == binary })?.key else { return nil }
        var lower = last % 16384
        if last >= 16384 { lower += 32768 }
        return ndx << 16 | lower
    }
}

/// BER encoding of OID values (the content octets, without tag and length).
enum BER {
    static func encode(oid: String) -> [UInt8]? {
        let arcs = oid.split(separator: ".", omittingEmptySubsequences: false).map { UInt64($0) }
        guard arcs.count >= 2, arcs.allSatisfy({ $0 != nil }) else { return nil }
        let values = arcs.map { $0! }
        guard values[0] <= 2, values[0] == 2 || values[1] < 40 else { return nil }
        var out: [UInt8] = []
        for v in [values[0] * 40 + values[1]] + values.dropFirst(2) {
            var chunk: [UInt8] = [UInt8(v & 0x7f)]
            var rest = v >> 7
            while rest > 0 { chunk.insert(UInt8(rest & 0x7f) | 0x80, at: 0); rest >>= 7 }
            out += chunk
        }
        return out
    }

    static func decode(oid bytes: [UInt8]) -> String? {
        guard let lastByte = bytes.last, lastByte & 0x80 == 0 else { return nil }
        var arcs: [UInt64] = []
        var value: UInt64 = 0
        for b in bytes {
            guard value >> 57 == 0 else { return nil }
            value = value << 7 | UInt64(b & 0x7f)
            if b & 0x80 == 0 {
                if arcs.isEmpty {
                    let first: UInt64 = value < 40 ? 0 : value < 80 ? 1 : 2
                    arcs += [first, value - first * 40]
                } else {
                    arcs.append(value)
                }
                value = 0
            }
        }
        return arcs.map(String.init).joined(separator: ".")
    }
}
