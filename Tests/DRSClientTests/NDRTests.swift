import Testing
@testable import DRSClient
import Basics

@Suite struct NDRTests {
    @Test func primitivesAlignRelativeToTheStub() throws {
        var w = NDRWriter()
        w.u8(1); w.u16(2); w.u8(3); w.u32(4); w.u8(5); w.u64(6); w.pointer(true); w.pointer(false); w.pointer(true)
        #expect(w.bytes.hex == "01000200" + "03000000" + "04000000" + "05000000" + "0600000000000000" + "00000200" + "00000000" + "04000200")
        var r = NDRReader(w.bytes)
        #expect(try r.u8() == 1 && r.u16() == 2 && r.u8() == 3 && r.u32() == 4 && r.u8() == 5 && r.u64() == 6)
        #expect(try r.pointer() && !r.pointer() && r.pointer())
        #expect(r.atEnd)
    }

    @Test func guidsAreMixedEndian() {
        let g = GUID("e3514235-4b06-11d1-ab04-00c04fc2dcd2")!
        #expect(g.bytes.hex == "354251e3064bd111ab0400c04fc2dcd2")
        #expect(g.description == "e3514235-4b06-11d1-ab04-00c04fc2dcd2")
        #expect(GUID("not-a-guid") == nil && GUID("e3514235-4b06-11d1-ab04-00c04fc2dcdz") == nil)
    }

    @Test(arguments: ["CN=krbtgt_AzureAD,CN=Users,DC=contoso,DC=corp,DC=com", "", "CN=Jöns Ünïcode \u{1F600},DC=x"])
    func dsNameRoundTrips(_ dn: String) throws {
        var w = NDRWriter()
        w.u8(0xff)  // misalign on purpose
        let guid = GUID("01020304-0506-0708-090a-0b0c0d0e0f10")!
        DRSUAPI.writeDSName(&w, dn: dn, guid: guid)
        var r = NDRReader(w.bytes)
        _ = try r.u8()
        let name = try DRSUAPI.readDSName(&r)
        #expect(name.dn == dn && name.guid == guid && name.sid.isEmpty)
        #expect(r.atEnd)
        // structLen counts the fixed 56 bytes and the terminated name.
        #expect(w.bytes.le32(at: 8) == UInt32(56 + 2 * (dn.utf16.count + 1)))
    }

    @Test func theGetNCChangesRequestIsLaidOutAsMSDRSRSays() {
        let handle = ContextHandle(bytes: (1...20).map { UInt8($0) })
        let q = DRSUAPI.GetNCChangesRequest(objectDN: "CN=x", extendedOperation: 6, partialAttributeSet: [0x9007d, 0x9005a])
        let b = DRSUAPI.getNCChangesRequest(handle, q)
        #expect(Array(b[0..<20]) == handle.bytes)
        #expect(b.le32(at: 20) == 8 && b.le32(at: 24) == 8)    // dwInVersion, discriminant
        #expect(b[28..<64].allSatisfy { $0 == 0 })              // padding to 8, two zero GUIDs
        #expect(b.le32(at: 64) != 0)                            // pNC
        #expect(b[72..<96].allSatisfy { $0 == 0 })              // usnvecFrom, after alignment to 8
        #expect(b.le32(at: 96) == 0)                            // pUpToDateVecDest
        #expect(b.le32(at: 100) == 0 && b.le32(at: 104) == 1)   // ulFlags, cMaxObjects
        #expect(b.le32(at: 112) == 6)                           // ulExtendedOp
        #expect(b.le32(at: 128) != 0 && b.le32(at: 132) == 0)   // pPartialAttrSet, pPartialAttrSetEx
        #expect(b.le32(at: 136) == 0 && b.le32(at: 140) == 0)   // empty PrefixTableDest
        // The DSNAME, then the partial attribute set: { max 2, version 1, reserved, count 2, attids }.
        let dsnameLength = 4 + 56 + 2 * 5
        let pas = 144 + dsnameLength + (4 - dsnameLength % 4) % 4
        #expect(Array(b[pas...]).hex == "02000000" + "01000000" + "00000000" + "02000000" + "7d000900" + "5a000900")
    }

    @Test func theBindRequestOffersV8AndStrongEncryption() throws {
        let b = DRSUAPI.bindRequest(epoch: 7)
        var r = NDRReader(b)
        #expect(try r.pointer() && r.guid() == DRSUAPI.clientGUID && r.pointer())
        #expect(try r.u32() == 28 && r.u32() == 28)
        let flags = try r.u32()
        #expect(flags & DRSUAPI.Extension.getChgReqV8 != 0 && flags & DRSUAPI.Extension.strongEncryption != 0)
        #expect(flags & 0x1000_0010 == 0)  // no compression
        _ = try r.raw(20)
        #expect(try r.u32() == 7 && r.atEnd)
    }

    @Test func parsesABindReply() throws {
        var w = NDRWriter()
        w.pointer(true); w.conformance(28); w.u32(28)
        w.u32(0x2fff_ff6f); w.raw([UInt8](repeating: 0, count: 16)); w.u32(1234); w.u32(3)
        w.contextHandle(ContextHandle(bytes: [UInt8](repeating: 9, count: 20)))
        w.u32(0)
        let reply = try DRSUAPI.parseBindReply(w.bytes)
        #expect(reply.server?.flags == 0x2fff_ff6f && reply.server?.replicationEpoch == 3 && reply.status == 0)
        #expect(reply.handle.bytes == [UInt8](repeating: 9, count: 20))
    }

    @Test func parsesAGetNCChangesReply() throws {
        var b = ReplyBuilder()
        b.objects = [.init(dn: "CN=a,DC=drs,DC=test", attributes: [(0x9005a, [[1, 2, 3]]), (0x9007d, [[4, 5], [6]]), (0x90001, [])], versions: [3, 3, 1]),
                     .init(dn: "CN=b,DC=drs,DC=test", attributes: [(0x9007d, [[7]])], parent: nil)]
        let reply = try DRSUAPI.parseGetNCChangesReply(b.stub())
        #expect(reply.outVersion == 6 && reply.status == 0 && reply.extendedResult == 1 && reply.drsError == 0)
        #expect(reply.namingContext?.dn == "DC=drs,DC=test")
        #expect(reply.sourceDSA.description == "28d656a3-ff8e-4826-9816-3a7787607da1")
        #expect(reply.objects.map { $0.name?.dn } == ["CN=a,DC=drs,DC=test", "CN=b,DC=drs,DC=test"])
        let a = reply.objects[0]
        #expect(a.attributes == [.init(type: 0x9005a, values: [[1, 2, 3]]), .init(type: 0x9007d, values: [[4, 5], [6]]), .init(type: 0x90001, values: [])])
        #expect(a.metaData.map(\.version) == [3, 3, 1] && a.parentGUID?.description == "11111111-2222-3333-4444-555555555555")
        #expect(reply.objects[1].parentGUID == nil)
        #expect(reply.prefixTable.oid(for: 0x9007d) == "1.2.840.113556.1.4.125")
    }

    @Test func everyTruncationThrowsAndNoneCrashes() throws {
        var b = ReplyBuilder()
        b.objects = [.init(dn: "CN=a,DC=drs,DC=test", attributes: [(0x9007d, [[UInt8](repeating: 7, count: 40)])])]
        let stub = b.stub()
        _ = try DRSUAPI.parseGetNCChangesReply(stub)
        for n in 0..<stub.count {
            #expect(throws: (any Error).self) { _ = try DRSUAPI.parseGetNCChangesReply(Array(stub.prefix(n))) }
        }
        #expect(throws: NDRError.self) { _ = try DRSUAPI.parseGetNCChangesReply(stub + [0, 0, 0, 0]) }
    }

    /// Every 32-bit word replaced by a huge count, or by zero: the parser throws or returns, never traps
    /// or allocates what the data cannot hold.
    @Test func lyingCountsAreRefused() throws {
        var b = ReplyBuilder()
        b.objects = [.init(dn: "CN=a,DC=drs,DC=test", attributes: [(0x9007d, [[1, 2, 3, 4]]), (0x9005a, [[5]])])]
        let (stub, counts) = b.stubAndCounts()
        let truth = try DRSUAPI.parseGetNCChangesReply(stub)
        #expect(counts.count == 11)  // cursors, prefixes, 3 OIDs, attributes, 2 value lists, 2 values, metadata
        func lie(_ offset: Int, _ value: UInt32) -> [UInt8] {
            var lie = stub
            for i in 0..<4 { lie[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
            return lie
        }
        // Every array size (conformance) that claims more than the stub holds is refused by the
        // reader, by name, before anything is allocated.
        for offset in counts {
            for value: UInt32 in [0xffff_ffff, 0x7fff_ffff, 0x0100_0000, UInt32(stub.count)] {
                #expect(throws: NDRError.self, "count at \(offset) = \(value)") { _ = try DRSUAPI.parseGetNCChangesReply(lie(offset, value)) }
            }
        }
        // Any other word replaced by a huge number or zero: refused, or read without trapping and
        // without more values than the stub could carry.
        for offset in stride(from: 0, to: stub.count - 3, by: 4) where !counts.contains(offset) {
            for value: UInt32 in [0xffff_ffff, 0x7fff_ffff, 0x0100_0000, 0] {
                guard let reply = try? DRSUAPI.parseGetNCChangesReply(lie(offset, value)) else { continue }
                let bytes = reply.objects.flatMap(\.attributes).flatMap(\.values).reduce(0) { $0 + $1.count }
                #expect(bytes <= stub.count && reply.objects.count <= truth.objects.count, "word at \(offset) = \(value)")
            }
        }
    }

    @Test func aCompressedOrOldReplyIsNamed() {
        var b = ReplyBuilder()
        b.outVersion = 7
        #expect(throws: DRSUAPI.UnsupportedReply.self) { _ = try DRSUAPI.parseGetNCChangesReply(b.stub()) }
    }

    @Test func endpointMapperTowerAndReply() throws {
        let tower = EndpointMapper.tower(for: DRSUAPI.interface)
        #expect(tower.hex == "0500"
            + "1300" + "0d" + "354251e3064bd111ab0400c04fc2dcd2" + "0400" + "0200" + "0000"
            + "1300" + "0d" + "045d888aeb1cc9119fe808002b104860" + "0200" + "0200" + "0000"
            + "0100" + "0b" + "0200" + "0000"
            + "0100" + "07" + "0200" + "0000"
            + "0100" + "09" + "0400" + "00000000")
        // A reply with one tower for TCP port 49153 on 127.0.0.50.
        var t = tower
        t.replaceSubrange((t.count - 11)..<(t.count - 9), with: [0xc0, 0x01])
        t.replaceSubrange((t.count - 4)..., with: [127, 0, 0, 50])
        var w = NDRWriter()
        w.contextHandle(.null)
        w.u32(1)
        w.conformance(4); w.u32(0); w.u32(1)
        w.pointer(true)
        w.conformance(t.count); w.u32(UInt32(t.count)); w.raw(t)
        w.u32(0)
        #expect(try EndpointMapper.parseMapReply(w.bytes) == 49153)
        for n in 0..<w.bytes.count {
            #expect(throws: (any Error).self) { _ = try EndpointMapper.parseMapReply(Array(w.bytes.prefix(n))) }
        }
        // The request: NULL object, the tower as a conformant twr_t, a null handle, max_towers.
        let q = EndpointMapper.mapRequest(for: DRSUAPI.interface)
        #expect(q.le32(at: 0) == 0 && q.le32(at: 4) != 0 && q.le32(at: 8) == UInt32(tower.count) && q.le32(at: 12) == UInt32(tower.count))
        #expect(q.count == 16 + tower.count + (4 - tower.count % 4) % 4 + 24)
    }

    @Test func anUnregisteredInterfaceIsNamed() {
        var w = NDRWriter()
        w.contextHandle(.null)
        w.u32(0)
        w.conformance(4); w.u32(0); w.u32(0)
        w.u32(0x16c9_a0d6)
        #expect(throws: EndpointMapper.MapFailed.self) { _ = try EndpointMapper.parseMapReply(w.bytes) }
    }
}
