/// The endpoint mapper (ept_map, opnum 3 of e1af8308-5d1f-11c9-91a4-08002b14a0fa v3.0) on TCP 135:
/// which TCP port serves an interface. Towers are C706 appendix L protocol towers.
enum EndpointMapper {
    static let interface = SyntaxID(uuid: GUID("e1af8308-5d1f-11c9-91a4-08002b14a0fa")!, major: 3, minor: 0)
    static let port: UInt16 = 135
    static let mapOpnum: UInt16 = 3

    /// A tower for `interface` over NDR, ncacn_ip_tcp, port 0, address 0.0.0.0.
    static func tower(for interface: SyntaxID) -> [UInt8] {
        var w = ByteWriter()
        w.u16(5)                                      // floor count
        func floor(_ lhs: [UInt8], _ rhs: [UInt8]) {
            w.u16(UInt16(lhs.count)); w.append(lhs)
            w.u16(UInt16(rhs.count)); w.append(rhs)
        }
        var ifLHS = ByteWriter(); ifLHS.u8(0x0d); ifLHS.append(interface.uuid.bytes); ifLHS.u16(interface.major)
        var ifRHS = ByteWriter(); ifRHS.u16(interface.minor)
        floor(ifLHS.bytes, ifRHS.bytes)
        var ndrLHS = ByteWriter(); ndrLHS.u8(0x0d); ndrLHS.append(SyntaxID.ndr.uuid.bytes); ndrLHS.u16(SyntaxID.ndr.major)
        var ndrRHS = ByteWriter(); ndrRHS.u16(SyntaxID.ndr.minor)
        floor(ndrLHS.bytes, ndrRHS.bytes)
        floor([0x0b], [0, 0])                         // RPC connection-oriented protocol, minor version 0
        floor([0x07], [0, 0])                         // TCP port (big-endian)
        floor([0x09], [0, 0, 0, 0])                   // IP address (big-endian)
        return w.bytes
    }

    static func mapRequest(for interface: SyntaxID, maxTowers: UInt32 = 4) -> [UInt8] {
        let t = tower(for: interface)
        var w = NDRWriter()
        w.pointer(false)                              // object: NULL
        w.pointer(true)                               // map_tower
        w.conformance(t.count)                        // twr_t { tower_length; tower_octet_string[tower_length] }
        w.u32(UInt32(t.count))
        w.raw(t)
        w.contextHandle(.null)                        // entry_handle
        w.u32(maxTowers)
        return w.bytes
    }

    struct MapFailed: Error, CustomStringConvertible {
        var status: UInt32
        var description: String { "ept_map status \(Status.hex(status)) (\(status == 0x16c9a0d6 ? "EPT_S_NOT_REGISTERED: the interface has no endpoint" : "error"))" }
    }

    /// The TCP port of the first ncacn_ip_tcp tower in an ept_map reply.
    static func parseMapReply(_ stub: [UInt8]) throws -> UInt16 {
        var r = NDRReader(stub)
        _ = try r.contextHandle("entry_handle")
        let numTowers = Int(try r.u32("num_towers"))
        let max = try r.count("towers conformance", elementSize: 0)  // max_towers: only the actual count is sent
        _ = try r.u32("towers offset")
        let actual = try r.count("towers variance", elementSize: 4)
        guard actual <= max, actual == numTowers else { throw NDRError(what: "tower counts: num \(numTowers), max \(max), actual \(actual)") }
        var present: [Bool] = []
        for _ in 0..<actual { present.append(try r.pointer("tower pointer")) }
        var towers: [[UInt8]] = []
        for p in present where p {
            let length = try r.count("twr_t conformance", elementSize: 1)
            guard Int(try r.u32("tower_length")) == length else { throw NDRError(what: "tower_length differs from its conformance") }
            towers.append(try r.raw(length, "tower"))
        }
        let status = try r.u32("status")
        guard status == 0 else { throw MapFailed(status: status) }
        for t in towers { if let port = try tcpPort(in: t) { return port } }
        throw NDRError(what: "ept_map returned \(towers.count) towers and none for TCP")
    }

    /// The port of floor 4 when the tower is ncacn_ip_tcp; nil for other protocols.
    static func tcpPort(in tower: [UInt8]) throws -> UInt16? {
        var r = ByteReader(tower)
        do {
            let floors = Int(try r.u16("floor count"))
            var port: UInt16?
            var connectionOriented = false
            for _ in 0..<floors {
                let lhs = try r.take(Int(try r.u16("lhs length")), "lhs")
                let rhs = try r.take(Int(try r.u16("rhs length")), "rhs")
                guard let id = lhs.first else { continue }
                if id == 0x0b { connectionOriented = true }
                if id == 0x07, rhs.count == 2 { port = UInt16(rhs[0]) << 8 | UInt16(rhs[1]) }
            }
            return connectionOriented ? port : nil
        } catch let e as TruncatedData {
            throw NDRError(what: "tower: \(e.what)")
        }
    }
}
