@testable import DRSClient

/// Writes IDL_DRSGetNCChanges replies (V6) the way a DC does, independently of the parser, so that
/// tests can feed the parser well-formed, truncated and lying replies.
struct ReplyBuilder {
    struct Object {
        var dn: String
        var guid = GUID("6f1c3d4e-0000-4000-8000-00000000abcd")!
        var attributes: [(type: UInt32, values: [[UInt8]])]
        var versions: [UInt32]? = nil
        var parent: GUID? = GUID("11111111-2222-3333-4444-555555555555")!
    }

    var objects: [Object] = []
    var prefixes: [(UInt32, [UInt8])] = [(0, h("5504")), (9, h("2a864886f7140104")), (2, h("2a864886f7140102"))]
    var extendedResult: UInt32 = 1
    var drsError: UInt32 = 0
    var status: UInt32 = 0
    var withCursors = true
    var outVersion: UInt32 = 6

    func stub() -> [UInt8] { stubAndCounts().stub }

    /// The stub, and the offsets of every conformance (max_count) in it: the array sizes a
    /// reader must check against what the stub holds.
    func stubAndCounts() -> (stub: [UInt8], counts: [Int]) {
        var counts: [Int] = []
        var w = NDRWriter()
        func conformance(_ n: Int) { counts.append((w.bytes.count + 3) & ~3); w.conformance(n) }
        w.u32(outVersion)
        w.u32(outVersion)
        w.align(8)
        w.guid(GUID("28d656a3-ff8e-4826-9816-3a7787607da1")!)  // uuidDsaObjSrc
        w.guid(GUID("68cb7b15-c998-4667-abe7-a46fd4e1d8dd")!)  // uuidInvocIdSrc
        w.pointer(true)                                      // pNC
        for v: Int64 in [0, 0, 0, 4100, 0, 4100] { w.i64(v) }
        w.pointer(withCursors)                               // pUpToDateVecSrc
        w.u32(UInt32(prefixes.count)); w.pointer(true)
        w.u32(extendedResult)
        w.u32(UInt32(objects.count))
        w.u32(1234)                                          // cNumBytes
        w.pointer(!objects.isEmpty)
        w.u32(0)                                             // fMoreData
        w.u32(0); w.u32(0)
        w.u32(0); w.pointer(false)                           // cNumValues, rgValues
        w.u32(drsError)
        DRSUAPI.writeDSName(&w, dn: "DC=drs,DC=test")
        if withCursors {
            conformance(1)
            w.align(8)
            w.u32(2); w.u32(0); w.u32(1); w.u32(0)
            w.align(8); w.guid(.zero); w.i64(4100); w.i64(13_300_000_000)
        }
        conformance(prefixes.count)
        for (ndx, bytes) in prefixes { w.u32(ndx); w.u32(UInt32(bytes.count)); w.pointer(true) }
        for (_, bytes) in prefixes { conformance(bytes.count); w.raw(bytes) }
        if !objects.isEmpty { writeList(&w, objects[...], &counts) }
        w.u32(status)
        return (w.bytes, counts)
    }

    /// REPLENTINFLIST: scalars, then the next item in full, then this item's own referents.
    private func writeList(_ w: inout NDRWriter, _ list: ArraySlice<Object>, _ counts: inout [Int]) {
        guard let o = list.first else { return }
        func conformance(_ n: Int) { counts.append((w.bytes.count + 3) & ~3); w.conformance(n) }
        w.pointer(list.count > 1)            // pNextEntInf
        w.pointer(true)                      // ENTINF.pName
        w.u32(0)                             // ulFlags
        w.u32(UInt32(o.attributes.count))
        w.pointer(!o.attributes.isEmpty)
        w.u32(0)                             // fIsNCPrefix
        w.pointer(o.parent != nil)
        w.pointer(true)                      // pMetaDataExt
        if list.count > 1 { writeList(&w, list.dropFirst(), &counts) }
        DRSUAPI.writeDSName(&w, dn: o.dn, guid: o.guid)
        if !o.attributes.isEmpty {
            conformance(o.attributes.count)
            for a in o.attributes { w.u32(a.type); w.u32(UInt32(a.values.count)); w.pointer(!a.values.isEmpty) }
            for a in o.attributes where !a.values.isEmpty {
                conformance(a.values.count)
                for v in a.values { w.u32(UInt32(v.count)); w.pointer(true) }
                for v in a.values { conformance(v.count); w.raw(v) }
            }
        }
        if let p = o.parent { w.guid(p) }
        let versions = o.versions ?? o.attributes.map { _ in 1 }
        conformance(versions.count)
        w.align(8)
        w.u32(UInt32(versions.count))
        for v in versions {
            w.align(8)
            w.u32(v); w.i64(13_300_000_000); w.guid(.zero); w.i64(4000)
        }
    }
}
