/// DRSUAPI (MS-DRSR) messages this client sends and reads: IDL_DRSBind (opnum 0), IDL_DRSUnbind
/// (opnum 1) and IDL_DRSGetNCChanges (opnum 3) with request V8 and reply V6, in NDR.

enum DRSUAPI {
    static let interface = SyntaxID(uuid: GUID("e3514235-4b06-11d1-ab04-00c04fc2dcd2")!, major: 4, minor: 0)
    /// NTDSAPI_CLIENT_GUID: the client is a tool, not a DC.
    static let clientGUID = GUID("e24d201a-4fd6-11d1-a3da-0000f875ae0d")!

    enum Opnum {
        static let bind: UInt16 = 0
        static let unbind: UInt16 = 1
        static let getNCChanges: UInt16 = 3
    }

    /// DRS_EXTENSIONS_INT flags (MS-DRSR 5.39).
    enum Extension {
        static let base: UInt32 = 0x0000_0001
        static let asyncReplication: UInt32 = 0x0000_0002
        static let removeAPI: UInt32 = 0x0000_0004
        static let moveReqV2: UInt32 = 0x0000_0008
        static let dcInfoV1: UInt32 = 0x0000_0020
        static let restoreUSNOptimization: UInt32 = 0x0000_0040
        static let kccExecute: UInt32 = 0x0000_0100
        static let addEntryV2: UInt32 = 0x0000_0200
        static let linkedValueReplication: UInt32 = 0x0000_0400
        static let dcInfoV2: UInt32 = 0x0000_0800
        static let instanceTypeNotReqOnMod: UInt32 = 0x0000_1000
        static let cryptoBind: UInt32 = 0x0000_2000
        static let getReplInfo: UInt32 = 0x0000_4000
        static let strongEncryption: UInt32 = 0x0000_8000
        static let dcInfoV01: UInt32 = 0x0001_0000
        static let transitiveMembership: UInt32 = 0x0002_0000
        static let addSIDHistory: UInt32 = 0x0004_0000
        static let postBeta3: UInt32 = 0x0008_0000
        static let getMemberships2: UInt32 = 0x0020_0000
        static let getChgReqV6: UInt32 = 0x0040_0000
        static let nonDomainNCs: UInt32 = 0x0080_0000
        static let getChgReqV8: UInt32 = 0x0100_0000
        static let getChgReplyV5: UInt32 = 0x0200_0000
        static let getChgReplyV6: UInt32 = 0x0400_0000

        /// What this client offers. No compression (it reads uncompressed replies only), and
        /// strong encryption, without which a DC withholds secrets.
        static let offered: UInt32 = base | asyncReplication | removeAPI | moveReqV2 | dcInfoV1 | restoreUSNOptimization
            | kccExecute | addEntryV2 | linkedValueReplication | dcInfoV2 | instanceTypeNotReqOnMod | cryptoBind
            | getReplInfo | strongEncryption | dcInfoV01 | transitiveMembership | addSIDHistory | postBeta3
            | getMemberships2 | getChgReqV6 | nonDomainNCs | getChgReqV8 | getChgReplyV5 | getChgReplyV6
    }

    /// EXOP codes of DRS_MSG_GETCHGREQ_V8.ulExtendedOp (MS-DRSR's EXOP_REQ codes, Samba's
    /// drsuapi.idl) and the EXOP_ERR results. aadkerb sends `replicateObject` (EXOP_REPL_OBJ, 6),
    /// as a writable DC replicating one object does (and as impacket's secretsdump does);
    /// `replicateSecrets` (EXOP_REPL_SECRETS, 7) is the RODC's request (docs/key-material.md).
    enum ExtendedOperation {
        static let fsmoAbandonRole: UInt32 = 5   // EXOP_FSMO_ABANDON_ROLE
        static let replicateObject: UInt32 = 6   // EXOP_REPL_OBJ
        static let replicateSecrets: UInt32 = 7  // EXOP_REPL_SECRETS (Samba: DRSUAPI_EXOP_REPL_SECRET)
        static let success: UInt32 = 1

        static func resultName(_ r: UInt32) -> String {
            let names: [UInt32: String] = [
                1: "EXOP_ERR_SUCCESS", 2: "EXOP_ERR_UNKNOWN_OP", 3: "EXOP_ERR_FSMO_NOT_OWNER", 4: "EXOP_ERR_UPDATE_ERR",
                5: "EXOP_ERR_EXCEPTION", 6: "EXOP_ERR_UNKNOWN_CALLER", 7: "EXOP_ERR_RID_ALLOC", 8: "EXOP_ERR_FSMO_OWNER_DELETED",
                9: "EXOP_ERR_FSMO_PENDING_OP", 10: "EXOP_ERR_MISMATCH", 11: "EXOP_ERR_COULDNT_CONTACT",
                12: "EXOP_ERR_FSMO_REFUSING_ROLES", 13: "EXOP_ERR_DIR_ERROR", 14: "EXOP_ERR_FSMO_MISSING_SETTINGS",
                15: "EXOP_ERR_ACCESS_DENIED", 16: "EXOP_ERR_PARAM_ERR",
            ]
            return names[r] ?? "unknown EXOP result"
        }
    }

    struct Extensions: Equatable {
        var flags: UInt32
        var siteGUID: GUID = .zero
        var pid: UInt32 = 0
        var replicationEpoch: UInt32 = 0
    }

    // MARK: IDL_DRSBind

    static func bindRequest(epoch: UInt32) -> [UInt8] {
        var w = NDRWriter()
        w.pointer(true)               // puuidClientDsa
        w.guid(clientGUID)
        w.pointer(true)               // pextClient: DRS_EXTENSIONS { cb; rgb[cb] }, conformant
        var ext = ByteWriter()        // DRS_EXTENSIONS_INT, 28 bytes
        ext.u32(Extension.offered)
        ext.append(GUID.zero.bytes)
        ext.u32(0)                    // Pid
        ext.u32(epoch)
        w.conformance(ext.bytes.count)
        w.u32(UInt32(ext.bytes.count))
        w.raw(ext.bytes)
        return w.bytes
    }

    struct BindReply {
        var server: Extensions?
        var handle: ContextHandle
        var status: UInt32
    }

    static func parseBindReply(_ stub: [UInt8]) throws -> BindReply {
        var r = NDRReader(stub)
        var server: Extensions?
        if try r.pointer("ppextServer") {
            let max = try r.count("DRS_EXTENSIONS conformance", elementSize: 1, limit: 10000)
            let cb = Int(try r.u32("DRS_EXTENSIONS cb"))
            guard cb == max else { throw NDRError(what: "DRS_EXTENSIONS cb \(cb) differs from its conformance \(max)") }
            let bytes = try r.raw(cb, "DRS_EXTENSIONS rgb")
            var e = ByteReader(bytes)
            if cb >= 4 {
                var ext = Extensions(flags: try e.u32())
                if cb >= 20 { ext.siteGUID = GUID(wire: try e.take(16)) }
                if cb >= 24 { ext.pid = try e.u32() }
                if cb >= 28 { ext.replicationEpoch = try e.u32() }
                server = ext
            }
        }
        let handle = try r.contextHandle("phDrs")
        let status = try r.u32("return value")
        return BindReply(server: server, handle: handle, status: status)
    }

    // MARK: IDL_DRSUnbind

    static func unbindRequest(_ handle: ContextHandle) -> [UInt8] {
        var w = NDRWriter()
        w.contextHandle(handle)
        return w.bytes
    }

    // MARK: IDL_DRSGetNCChanges

    struct GetNCChangesRequest {
        var destinationDSA: GUID = .zero
        var sourceInvocationID: GUID = .zero
        var objectDN: String
        var replicaFlags: UInt32 = 0
        var maxObjects: UInt32 = 1
        var maxBytes: UInt32 = 0x0010_0000
        var extendedOperation: UInt32 = ExtendedOperation.replicateObject
        var partialAttributeSet: [UInt32] = []
    }

    /// pmsgIn as DRS_MSG_GETCHGREQ_V8, with an empty PrefixTableDest: the ATTRTYPs of the partial
    /// attribute set come from MS-DRSR's default prefix table.
    static func getNCChangesRequest(_ handle: ContextHandle, _ q: GetNCChangesRequest) -> [UInt8] {
        var w = NDRWriter()
        w.contextHandle(handle)
        w.u32(8)                             // dwInVersion
        w.u32(8)                             // union discriminant
        w.align(8)                           // DRS_MSG_GETCHGREQ_V8 (8-byte aligned: it holds USNs)
        w.guid(q.destinationDSA)             // uuidDsaObjDest
        w.guid(q.sourceInvocationID)         // uuidInvocIdSrc
        w.pointer(true)                      // pNC
        w.i64(0); w.i64(0); w.i64(0)         // usnvecFrom
        w.pointer(false)                     // pUpToDateVecDest
        w.u32(q.replicaFlags)                // ulFlags
        w.u32(q.maxObjects)                  // cMaxObjects
        w.u32(q.maxBytes)                    // cMaxBytes
        w.u32(q.extendedOperation)           // ulExtendedOp
        w.u64(0)                             // liFsmoInfo
        w.pointer(!q.partialAttributeSet.isEmpty)  // pPartialAttrSet
        w.pointer(false)                     // pPartialAttrSetEx
        w.u32(0)                             // PrefixTableDest.PrefixCount
        w.pointer(false)                     // PrefixTableDest.pPrefixEntry
        // Deferred referents, in member order.
        writeDSName(&w, dn: q.objectDN)
        if !q.partialAttributeSet.isEmpty {
            // PARTIAL_ATTR_VECTOR_V1_EXT { dwVersion; dwReserved1; cAttrs; rgPartialAttr[cAttrs] }
            w.conformance(q.partialAttributeSet.count)
            w.u32(1)
            w.u32(0)
            w.u32(UInt32(q.partialAttributeSet.count))
            for a in q.partialAttributeSet { w.u32(a) }
        }
        return w.bytes
    }

    /// DSNAME (MS-DRSR 5.50), conformant: the count of StringName (NameLen + 1) comes first.
    static func writeDSName(_ w: inout NDRWriter, dn: String, guid: GUID = .zero) {
        let name = Array(dn.utf16)
        w.conformance(name.count + 1)
        w.u32(UInt32(56 + 2 * (name.count + 1)))   // structLen
        w.u32(0)                                   // SidLen
        w.guid(guid)
        w.raw([UInt8](repeating: 0, count: 28))    // Sid (NT4SID)
        w.u32(UInt32(name.count))                  // NameLen, without the terminator
        for u in name + [0] { w.u16(u) }
    }

    struct DSName: Equatable {
        var guid: GUID
        var sid: [UInt8]
        var dn: String
    }

    static func readDSName(_ r: inout NDRReader) throws -> DSName {
        let count = try r.count("DSNAME conformance", elementSize: 2)
        _ = try r.u32("DSNAME structLen")
        let sidLength = Int(try r.u32("DSNAME SidLen"))
        let guid = try r.guid("DSNAME Guid")
        let sid = try r.raw(28, "DSNAME Sid")
        let nameLength = Int(try r.u32("DSNAME NameLen"))
        guard nameLength < count || (nameLength == 0 && count == 0) else {
            throw NDRError(what: "DSNAME NameLen \(nameLength) does not fit its \(count) characters")
        }
        var units: [UInt16] = []
        units.reserveCapacity(count)
        for _ in 0..<count { units.append(try r.u16("DSNAME StringName")) }
        guard sidLength <= 28 else { throw NDRError(what: "DSNAME SidLen \(sidLength)") }
        return DSName(guid: guid, sid: Array(sid.prefix(sidLength)), dn: String(decoding: units.prefix(nameLength), as: UTF16.self))
    }

    struct Attribute: Equatable {
        var type: UInt32
        var values: [[UInt8]]
    }

    struct PropertyMetaData: Equatable {
        var version: UInt32
        var timeChanged: Int64
        var originatingDSA: GUID
        var originatingUSN: Int64
    }

    struct ReplicatedObject: Equatable {
        var name: DSName?
        var flags: UInt32
        var attributes: [Attribute]
        var isNCPrefix: Bool
        var parentGUID: GUID?
        /// One entry per attribute, in the same order (MS-DRSR 5.163 REPLENTINFLIST).
        var metaData: [PropertyMetaData]
    }

    struct GetNCChangesReply {
        var outVersion: UInt32
        var sourceDSA: GUID
        var sourceInvocationID: GUID
        var namingContext: DSName?
        var prefixTable: PrefixTable
        var extendedResult: UInt32
        var objects: [ReplicatedObject]
        var moreData: Bool
        var linkedValueCount: Int
        var drsError: UInt32
        var status: UInt32
    }

    struct UnsupportedReply: Error, CustomStringConvertible {
        var version: UInt32
        var description: String { "the DC answered with reply version \(version); this client reads version 6 (uncompressed) only" }
    }

    static let maxObjectsInReply = 1000

    static func parseGetNCChangesReply(_ stub: [UInt8]) throws -> GetNCChangesReply {
        var r = NDRReader(stub)
        let outVersion = try r.u32("pdwOutVersion")
        let discriminant = try r.u32("DRS_MSG_GETCHGREPLY discriminant")
        guard discriminant == outVersion else { throw NDRError(what: "reply union tag \(discriminant) differs from pdwOutVersion \(outVersion)") }
        guard outVersion == 6 else { throw UnsupportedReply(version: outVersion) }

        // DRS_MSG_GETCHGREPLY_V6, fixed part.
        try r.align(8)
        let sourceDSA = try r.guid("uuidDsaObjSrc")
        let invocation = try r.guid("uuidInvocIdSrc")
        let hasNC = try r.pointer("pNC")
        for name in ["usnvecFrom", "usnvecTo"] { for _ in 0..<3 { _ = try r.i64(name) } }
        let hasUTDV = try r.pointer("pUpToDateVecSrc")
        let prefixCount = Int(try r.u32("PrefixTableSrc.PrefixCount"))
        let hasPrefixes = try r.pointer("PrefixTableSrc.pPrefixEntry")
        let extendedResult = try r.u32("ulExtendedRet")
        let objectCount = Int(try r.u32("cNumObjects"))
        _ = try r.u32("cNumBytes")
        let hasObjects = try r.pointer("pObjects")
        let moreData = try r.u32("fMoreData") != 0
        _ = try r.u32("cNumNcSizeObjects")
        _ = try r.u32("cNumNcSizeValues")
        let valueCount = Int(try r.u32("cNumValues"))
        let hasValues = try r.pointer("rgValues")
        let drsError = try r.u32("dwDRSError")

        // Deferred referents, in member order.
        let nc = hasNC ? try readDSName(&r) : nil
        if hasUTDV { try skipUpToDateVectorV2(&r) }
        var table = PrefixTable(prefixes: [:])
        if hasPrefixes {
            let n = try r.count("PrefixTableSrc conformance", elementSize: 12)
            guard n == prefixCount else { throw NDRError(what: "prefix table count \(prefixCount) differs from its conformance \(n)") }
            var entries: [(ndx: UInt32, length: Int, present: Bool)] = []
            for _ in 0..<n {
                entries.append((try r.u32("OID_PREFIX ndx"), Int(try r.u32("OID_t length")), try r.pointer("OID_t elements")))
            }
            for e in entries where e.present {
                let bytes = try r.conformantBytes("OID_t elements")
                guard bytes.count == e.length else { throw NDRError(what: "OID prefix \(e.ndx): length \(e.length), \(bytes.count) bytes") }
                table.prefixes[e.ndx] = bytes
            }
        }
        var objects: [ReplicatedObject] = []
        if hasObjects { try readObjectList(&r, into: &objects) }
        guard objects.count == objectCount else { throw NDRError(what: "cNumObjects \(objectCount) but \(objects.count) objects in the list") }
        if hasValues { try skipLinkedValues(&r, count: valueCount) }
        let status = try r.u32("return value")
        guard r.atEnd else { throw NDRError(what: "\(r.remaining) bytes after the return value") }
        return GetNCChangesReply(outVersion: outVersion, sourceDSA: sourceDSA, sourceInvocationID: invocation, namingContext: nc,
                                 prefixTable: table, extendedResult: extendedResult, objects: objects, moreData: moreData,
                                 linkedValueCount: valueCount, drsError: drsError, status: status)
    }

    /// UPTODATE_VECTOR_V2_EXT: conformant, cursors of { UUID; USN; DSTIME } (8-aligned).
    private static func skipUpToDateVectorV2(_ r: inout NDRReader) throws {
        let n = try r.count("UPTODATE_VECTOR_V2_EXT conformance", elementSize: 32)
        try r.align(8)
        _ = try r.u32("dwVersion"); _ = try r.u32("dwReserved1")
        guard Int(try r.u32("cNumCursors")) == n else { throw NDRError(what: "cNumCursors differs from its conformance") }
        _ = try r.u32("dwReserved2")
        for _ in 0..<n {
            try r.align(8)
            _ = try r.guid("uuidDsa"); _ = try r.i64("usnHighPropUpdate"); _ = try r.i64("timeLastSyncSuccess")
        }
    }

    /// REPLENTINFLIST: a linked list whose next pointer is its first member, so each next item
    /// (scalars and referents) comes before the referents of the item that points to it.
    private static func readObjectList(_ r: inout NDRReader, into objects: inout [ReplicatedObject]) throws {
        guard objects.count < maxObjectsInReply else { throw NDRError(what: "more than \(maxObjectsInReply) objects in one reply") }
        let slot = objects.count
        objects.append(ReplicatedObject(name: nil, flags: 0, attributes: [], isNCPrefix: false, parentGUID: nil, metaData: []))
        let hasNext = try r.pointer("pNextEntInf")
        let hasName = try r.pointer("ENTINF pName")
        let flags = try r.u32("ENTINF ulFlags")
        let attrCount = Int(try r.u32("ATTRBLOCK attrCount"))
        let hasAttrs = try r.pointer("ATTRBLOCK pAttr")
        let isNCPrefix = try r.u32("fIsNCPrefix") != 0
        let hasParent = try r.pointer("pParentGuid")
        let hasMeta = try r.pointer("pMetaDataExt")

        if hasNext { try readObjectList(&r, into: &objects) }
        var object = ReplicatedObject(name: nil, flags: flags, attributes: [], isNCPrefix: isNCPrefix, parentGUID: nil, metaData: [])
        if hasName { object.name = try readDSName(&r) }
        if hasAttrs {
            let n = try r.count("ATTRBLOCK conformance", elementSize: 8)
            guard n == attrCount else { throw NDRError(what: "attrCount \(attrCount) differs from its conformance \(n)") }
            var heads: [(type: UInt32, count: Int, present: Bool)] = []
            for _ in 0..<n { heads.append((try r.u32("ATTR attrTyp"), Int(try r.u32("ATTRVALBLOCK valCount")), try r.pointer("ATTRVALBLOCK pAVal"))) }
            for h in heads {
                var values: [[UInt8]] = []
                if h.present {
                    let m = try r.count("ATTRVALBLOCK conformance", elementSize: 8)
                    guard m == h.count else { throw NDRError(what: "valCount \(h.count) differs from its conformance \(m)") }
                    var lengths: [(Int, Bool)] = []
                    for _ in 0..<m { lengths.append((Int(try r.u32("ATTRVAL valLen")), try r.pointer("ATTRVAL pVal"))) }
                    for (length, present) in lengths {
                        guard present else { values.append([]); continue }
                        let bytes = try r.conformantBytes("ATTRVAL pVal")
                        guard bytes.count == length else { throw NDRError(what: "valLen \(length) but \(bytes.count) bytes") }
                        values.append(bytes)
                    }
                } else if h.count != 0 {
                    throw NDRError(what: "attribute 0x\(String(h.type, radix: 16)) has \(h.count) values and no array")
                }
                object.attributes.append(Attribute(type: h.type, values: values))
            }
        } else if attrCount != 0 {
            throw NDRError(what: "attrCount \(attrCount) with no array")
        }
        if hasParent { object.parentGUID = try r.guid("pParentGuid") }
        if hasMeta {
            let n = try r.count("PROPERTY_META_DATA_EXT_VECTOR conformance", elementSize: 36)
            try r.align(8)
            guard Int(try r.u32("cNumProps")) == n else { throw NDRError(what: "cNumProps differs from its conformance") }
            for _ in 0..<n {
                try r.align(8)
                let version = try r.u32("dwVersion")
                let time = try r.i64("timeChanged")
                let dsa = try r.guid("uuidDsaOriginating")
                let usn = try r.i64("usnOriginating")
                object.metaData.append(PropertyMetaData(version: version, timeChanged: time, originatingDSA: dsa, originatingUSN: usn))
            }
        }
        objects[slot] = object
    }

    /// REPLVALINF_V1[count] (linked values); read to stay in step, not kept.
    private static func skipLinkedValues(_ r: inout NDRReader, count: Int) throws {
        let n = try r.count("rgValues conformance", elementSize: 48)
        guard n == count else { throw NDRError(what: "cNumValues \(count) differs from its conformance \(n)") }
        var heads: [(object: Bool, value: Bool)] = []
        for _ in 0..<n {
            try r.align(8)
            _ = try r.u32("attrTyp")
            let object = try r.pointer("pObject")
            _ = try r.u32("valLen")
            let value = try r.pointer("pVal")
            _ = try r.u32("fIsPresent")
            _ = try r.i64("timeCreated")
            _ = try r.u32("dwVersion"); _ = try r.i64("timeChanged"); _ = try r.guid("uuidDsaOriginating"); _ = try r.i64("usnOriginating")
            heads.append((object, value))
        }
        for h in heads {
            if h.object { _ = try readDSName(&r) }
            if h.value { _ = try r.conformantBytes("REPLVALINF pVal") }
        }
    }
}
