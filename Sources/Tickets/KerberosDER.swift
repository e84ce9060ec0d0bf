import Foundation
import SwiftASN1
import Basics

/// RFC 4120's messages, as far as minting and exchanging a TGT needs them, in DER through
/// swift-asn1 (MIT keeps its encoders out of its public header). Encoding writes exactly what
/// RFC 4120 and MS-KILE specify; decoding is strict about structure (tags, required fields) and
/// throws `KerberosDecodingError` for anything else, so a malformed reply never traps.

/// A structural problem in received (or round-tripped) DER.
struct KerberosDecodingError: Error, CustomStringConvertible {
    var reason: String
    init(_ reason: String) { self.reason = reason }
    var description: String { reason }
}

enum KDER {
    static func context(_ n: UInt) -> ASN1Identifier { ASN1Identifier(tagWithNumber: n, tagClass: .contextSpecific) }
    static func application(_ n: UInt) -> ASN1Identifier { ASN1Identifier(tagWithNumber: n, tagClass: .application) }
    static let generalString = ASN1Identifier(tagWithNumber: 27, tagClass: .universal)
    static let generalizedTime = ASN1Identifier(tagWithNumber: 24, tagClass: .universal)

    // MARK: writing

    static func field(_ s: inout DER.Serializer, _ n: UInt, _ body: (inout DER.Serializer) throws -> Void) rethrows {
        try s.serialize(explicitlyTaggedWithTagNumber: n, tagClass: .contextSpecific, body)
    }

    static func int(_ s: inout DER.Serializer, _ n: UInt, _ value: Int) throws {
        try field(&s, n) { try $0.serialize(value) }
    }

    /// KerberosString: GeneralString holding (by RFC 4120's advice) UTF-8 / IA5 text.
    static func string(_ s: inout DER.Serializer, _ n: UInt, _ value: String) {
        field(&s, n) { $0.appendPrimitiveNode(identifier: generalString) { $0.append(contentsOf: Array(value.utf8)) } }
    }

    /// KerberosTime: GeneralizedTime "YYYYMMDDHHMMSSZ", whole seconds, UTC.
    static func time(_ s: inout DER.Serializer, _ n: UInt, _ value: Date) {
        field(&s, n) { $0.appendPrimitiveNode(identifier: generalizedTime) { $0.append(contentsOf: Array(GeneralizedTime.string(value).utf8)) } }
    }

    /// KerberosFlags: a BIT STRING of 32 bits, bit 0 the most significant (RFC 4120 5.2.8).
    static func flags(_ s: inout DER.Serializer, _ n: UInt, _ value: UInt32) {
        field(&s, n) {
            $0.appendPrimitiveNode(identifier: .bitString) {
                $0.append(contentsOf: [0, UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)])
            }
        }
    }

    static func octets(_ s: inout DER.Serializer, _ n: UInt, _ value: [UInt8]) throws {
        try field(&s, n) { try $0.serialize(ASN1OctetString(contentBytes: value[...])) }
    }

    static func raw(_ s: inout DER.Serializer, _ n: UInt, _ der: [UInt8]) {
        field(&s, n) { $0.serializeRawBytes(der) }
    }

    static func encode(_ body: (inout DER.Serializer) throws -> Void) rethrows -> [UInt8] {
        var s = DER.Serializer()
        try body(&s)
        return s.serializedBytes
    }

    // MARK: reading

    /// Parses `bytes` as one DER element and nothing after it.
    static func parse(_ bytes: [UInt8]) throws -> ASN1Node {
        do { return try DER.parse(bytes) } catch { throw KerberosDecodingError("not DER: \(error)") }
    }

    /// The fields of a SEQUENCE made of explicitly tagged [n] elements, by tag number. Tags must
    /// ascend; `required` ones must be present. `identifier` is the SEQUENCE's (or APPLICATION) tag.
    static func fields(_ node: ASN1Node, _ identifier: ASN1Identifier = .sequence, what: String, required: [UInt] = []) throws -> [UInt: ASN1Node] {
        var node = node
        if identifier != .sequence {
            guard node.identifier == identifier else { throw KerberosDecodingError("\(what): expected \(identifier), found \(node.identifier)") }
            node = try only(node, what: what)
        }
        guard node.identifier == .sequence, case .constructed(let children) = node.content else {
            throw KerberosDecodingError("\(what): expected a SEQUENCE, found \(node.identifier)")
        }
        var out: [UInt: ASN1Node] = [:]
        var last: UInt? = nil
        for child in children {
            guard child.identifier.tagClass == .contextSpecific else { throw KerberosDecodingError("\(what): unexpected element \(child.identifier)") }
            let n = child.identifier.tagNumber
            if let last, n <= last { throw KerberosDecodingError("\(what): field [\(n)] out of order") }
            last = n
            out[n] = try only(child, what: "\(what) [\(n)]")
        }
        for n in required where out[n] == nil { throw KerberosDecodingError("\(what): field [\(n)] missing") }
        return out
    }

    /// The single child of a constructed (explicitly tagged) node.
    static func only(_ node: ASN1Node, what: String) throws -> ASN1Node {
        guard case .constructed(let children) = node.content else { throw KerberosDecodingError("\(what): primitive where a tag was expected") }
        var it = children.makeIterator()
        guard let child = it.next(), it.next() == nil else { throw KerberosDecodingError("\(what): expected one element") }
        return child
    }

    static func sequenceOf(_ node: ASN1Node, what: String) throws -> [ASN1Node] {
        guard node.identifier == .sequence, case .constructed(let children) = node.content else {
            throw KerberosDecodingError("\(what): expected a SEQUENCE OF")
        }
        return Array(children)
    }

    static func primitive(_ node: ASN1Node, _ identifier: ASN1Identifier, what: String) throws -> ArraySlice<UInt8> {
        guard node.identifier == identifier, case .primitive(let bytes) = node.content else {
            throw KerberosDecodingError("\(what): expected \(identifier), found \(node.identifier)")
        }
        return bytes
    }

    static func int(_ node: ASN1Node?, what: String) throws -> Int {
        guard let node else { throw KerberosDecodingError("\(what) missing") }
        do { return try Int(derEncoded: node) } catch { throw KerberosDecodingError("\(what): not an INTEGER that fits: \(error)") }
    }

    static func string(_ node: ASN1Node?, what: String) throws -> String {
        guard let node else { throw KerberosDecodingError("\(what) missing") }
        let allowed: [UInt] = [27, 12, 22, 19, 26]  // GeneralString, UTF8String, IA5String, PrintableString, VisibleString
        guard node.identifier.tagClass == .universal, allowed.contains(node.identifier.tagNumber), case .primitive(let bytes) = node.content else {
            throw KerberosDecodingError("\(what): expected a string, found \(node.identifier)")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func time(_ node: ASN1Node?, what: String) throws -> Date {
        guard let node else { throw KerberosDecodingError("\(what) missing") }
        let text = try primitive(node, generalizedTime, what: what)
        guard let date = GeneralizedTime.date(String(decoding: text, as: UTF8.self), kerberos: true) else {
            throw KerberosDecodingError("\(what): not a KerberosTime (YYYYMMDDHHMMSSZ)")
        }
        return date
    }

    static func flags(_ node: ASN1Node?, what: String) throws -> UInt32 {
        guard let node else { throw KerberosDecodingError("\(what) missing") }
        let bytes = Array(try primitive(node, .bitString, what: what))
        guard bytes.count >= 1 else { throw KerberosDecodingError("\(what): empty BIT STRING") }
        var value: UInt32 = 0
        for i in 0..<4 { value = value << 8 | UInt32(i + 1 < bytes.count ? bytes[i + 1] : 0) }
        return value
    }

    static func octets(_ node: ASN1Node?, what: String) throws -> [UInt8] {
        guard let node else { throw KerberosDecodingError("\(what) missing") }
        return Array(try primitive(node, .octetString, what: what))
    }
}

// MARK: - Types

/// A Kerberos principal name (RFC 4120 PrincipalName) without its realm: a name type and
/// components, e.g. krbtgt/CONTOSO.COM (NT-SRV-INST) or alice (NT-PRINCIPAL).
public struct PrincipalName: Sendable, Hashable, CustomStringConvertible {
    public var nameType: Int
    public var components: [String]

    public init(nameType: Int, components: [String]) {
        self.nameType = nameType
        self.components = components
    }

    /// `service/host` (or more components) split at "/", name type NT-SRV-INST (2); one
    /// component without "/" is NT-PRINCIPAL (1).
    public init(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        self.init(nameType: parts.count > 1 ? 2 : 1, components: parts)
    }

    /// krbtgt/REALM: the TGS of `realm`.
    public static func krbtgt(realm: String) -> PrincipalName { PrincipalName(nameType: 2, components: ["krbtgt", realm]) }

    public var description: String { components.joined(separator: "/") }

    func encode(_ s: inout DER.Serializer, _ n: UInt) throws {
        try KDER.field(&s, n) { s in
            try s.appendConstructedNode(identifier: .sequence) { s in
                try KDER.int(&s, 0, nameType)
                KDER.field(&s, 1) { s in
                    s.appendConstructedNode(identifier: .sequence) { s in
                        for c in components { s.appendPrimitiveNode(identifier: KDER.generalString) { $0.append(contentsOf: Array(c.utf8)) } }
                    }
                }
            }
        }
    }

    init(der node: ASN1Node?, what: String) throws {
        guard let node else { throw KerberosDecodingError("\(what) missing") }
        let f = try KDER.fields(node, what: what, required: [0, 1])
        nameType = try KDER.int(f[0], what: "\(what) name-type")
        components = try KDER.sequenceOf(f[1]!, what: "\(what) name-string").map { try KDER.string($0, what: "\(what) name-string") }
    }
}

/// EncryptedData: etype, optional kvno, cipher.
struct EncryptedData: Equatable {
    var etype: Int
    var kvno: Int?
    var cipher: [UInt8]

    func encode(_ s: inout DER.Serializer, _ n: UInt) throws {
        try KDER.field(&s, n) { s in
            try s.appendConstructedNode(identifier: .sequence) { s in
                try KDER.int(&s, 0, etype)
                // An RODC kvno (Id << 16 | n) is 32 bits; with an Id of 32768 or more its top bit is
                // set. Windows writes it as a 4-byte two's-complement INTEGER (negative), and Samba's
                // Heimdal refuses the 5-byte unsigned form ("ASN.1 encoding ended unexpectedly",
                // measured with Id 53568), so it is written as Windows writes it.
                if let kvno { try KDER.int(&s, 1, Int(Int32(bitPattern: UInt32(truncatingIfNeeded: kvno)))) }
                try KDER.octets(&s, 2, cipher)
            }
        }
    }

    init(etype: Int, kvno: Int?, cipher: [UInt8]) {
        self.etype = etype; self.kvno = kvno; self.cipher = cipher
    }

    init(der node: ASN1Node?, what: String) throws {
        guard let node else { throw KerberosDecodingError("\(what) missing") }
        let f = try KDER.fields(node, what: what, required: [0, 2])
        etype = try KDER.int(f[0], what: "\(what) etype")
        kvno = try f[1].map { Int(UInt32(truncatingIfNeeded: try KDER.int($0, what: "\(what) kvno"))) }  // negative as Windows writes it
        cipher = try KDER.octets(f[2], what: "\(what) cipher")
    }
}

/// Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0], realm [1], sname [2], enc-part [3] }
struct Ticket: Equatable {
    var realm: String
    var sname: PrincipalName
    var encPart: EncryptedData

    func der() throws -> [UInt8] {
        try KDER.encode { s in
            try s.appendConstructedNode(identifier: KDER.application(1)) { s in
                try s.appendConstructedNode(identifier: .sequence) { s in
                    try KDER.int(&s, 0, 5)
                    KDER.string(&s, 1, realm)
                    try sname.encode(&s, 2)
                    try encPart.encode(&s, 3)
                }
            }
        }
    }

    init(realm: String, sname: PrincipalName, encPart: EncryptedData) {
        self.realm = realm; self.sname = sname; self.encPart = encPart
    }

    init(der node: ASN1Node) throws {
        let f = try KDER.fields(node, KDER.application(1), what: "Ticket", required: [0, 1, 2, 3])
        guard try KDER.int(f[0], what: "tkt-vno") == 5 else { throw KerberosDecodingError("Ticket: tkt-vno is not 5") }
        realm = try KDER.string(f[1], what: "Ticket realm")
        sname = try PrincipalName(der: f[2], what: "Ticket sname")
        encPart = try EncryptedData(der: f[3], what: "Ticket enc-part")
    }
}

/// AuthorizationData element: ad-type and ad-data.
struct AuthorizationElement: Equatable {
    static let ifRelevant = 1
    static let win2kPAC = 128
    var type: Int
    var data: [UInt8]

    static func encode(_ elements: [AuthorizationElement], _ s: inout DER.Serializer) throws {
        try s.appendConstructedNode(identifier: .sequence) { s in
            for e in elements {
                try s.appendConstructedNode(identifier: .sequence) { s in
                    try KDER.int(&s, 0, e.type)
                    try KDER.octets(&s, 1, e.data)
                }
            }
        }
    }

    static func decode(_ node: ASN1Node, what: String) throws -> [AuthorizationElement] {
        try KDER.sequenceOf(node, what: what).map { e in
            let f = try KDER.fields(e, what: what, required: [0, 1])
            return AuthorizationElement(type: try KDER.int(f[0], what: "ad-type"), data: try KDER.octets(f[1], what: "ad-data"))
        }
    }

    /// AD-IF-RELEVANT { AD-WIN2K-PAC pac }: where a PAC goes in a ticket (MS-PAC 2.3).
    static func wrappingPAC(_ pac: [UInt8]) throws -> [AuthorizationElement] {
        let inner = try KDER.encode { try encode([AuthorizationElement(type: win2kPAC, data: pac)], &$0) }
        return [AuthorizationElement(type: ifRelevant, data: inner)]
    }

    /// The PAC inside AD-IF-RELEVANT, if there is exactly one.
    static func pac(in elements: [AuthorizationElement]) throws -> [UInt8]? {
        var found: [[UInt8]] = []
        for e in elements where e.type == ifRelevant {
            for inner in try decode(try KDER.parse(e.data), what: "AD-IF-RELEVANT") where inner.type == win2kPAC { found.append(inner.data) }
        }
        return found.count == 1 ? found[0] : nil
    }
}

/// EncTicketPart ::= [APPLICATION 3] SEQUENCE { flags [0], key [1], crealm [2], cname [3],
/// transited [4], authtime [5], starttime [6] OPT, endtime [7], renew-till [8] OPT,
/// caddr [9] OPT, authorization-data [10] OPT }
struct EncTicketPart {
    var flags: UInt32
    var keyType: Int
    var key: [UInt8]
    var crealm: String
    var cname: PrincipalName
    var authTime: Date
    var startTime: Date?
    var endTime: Date
    var renewTill: Date?
    var authorizationData: [AuthorizationElement]

    func der() throws -> [UInt8] {
        try KDER.encode { s in
            try s.appendConstructedNode(identifier: KDER.application(3)) { s in
                try s.appendConstructedNode(identifier: .sequence) { s in
                    KDER.flags(&s, 0, flags)
                    try encodeKey(&s, 1, type: keyType, key: key)
                    KDER.string(&s, 2, crealm)
                    try cname.encode(&s, 3)
                    try KDER.field(&s, 4) { s in
                        try s.appendConstructedNode(identifier: .sequence) { s in
                            try KDER.int(&s, 0, 1)  // DOMAIN-X500-COMPRESS, no realms transited
                            try KDER.octets(&s, 1, [])
                        }
                    }
                    KDER.time(&s, 5, authTime)
                    if let startTime { KDER.time(&s, 6, startTime) }
                    KDER.time(&s, 7, endTime)
                    if let renewTill { KDER.time(&s, 8, renewTill) }
                    if !authorizationData.isEmpty { try KDER.field(&s, 10) { try AuthorizationElement.encode(authorizationData, &$0) } }
                }
            }
        }
    }

    init(flags: UInt32, keyType: Int, key: [UInt8], crealm: String, cname: PrincipalName, authTime: Date, startTime: Date?,
         endTime: Date, renewTill: Date?, authorizationData: [AuthorizationElement]) {
        self.flags = flags; self.keyType = keyType; self.key = key; self.crealm = crealm; self.cname = cname
        self.authTime = authTime; self.startTime = startTime; self.endTime = endTime; self.renewTill = renewTill
        self.authorizationData = authorizationData
    }

    init(der bytes: [UInt8]) throws {
        let f = try KDER.fields(try KDER.parse(bytes), KDER.application(3), what: "EncTicketPart", required: [0, 1, 2, 3, 4, 5, 7])
        flags = try KDER.flags(f[0], what: "flags")
        (keyType, key) = try decodeKey(f[1]!, what: "EncTicketPart key")
        crealm = try KDER.string(f[2], what: "crealm")
        cname = try PrincipalName(der: f[3], what: "cname")
        authTime = try KDER.time(f[5], what: "authtime")
        startTime = try f[6].map { try KDER.time($0, what: "starttime") }
        endTime = try KDER.time(f[7], what: "endtime")
        renewTill = try f[8].map { try KDER.time($0, what: "renew-till") }
        authorizationData = try f[10].map { try AuthorizationElement.decode($0, what: "authorization-data") } ?? []
    }
}

/// EncryptionKey ::= SEQUENCE { keytype [0] Int32, keyvalue [1] OCTET STRING }
func encodeKey(_ s: inout DER.Serializer, _ n: UInt, type: Int, key: [UInt8]) throws {
    try KDER.field(&s, n) { s in
        try s.appendConstructedNode(identifier: .sequence) { s in
            try KDER.int(&s, 0, type)
            try KDER.octets(&s, 1, key)
        }
    }
}

func decodeKey(_ node: ASN1Node, what: String) throws -> (Int, [UInt8]) {
    let f = try KDER.fields(node, what: what, required: [0, 1])
    return (try KDER.int(f[0], what: "\(what) keytype"), try KDER.octets(f[1], what: "\(what) keyvalue"))
}

/// PA-DATA ::= SEQUENCE { padata-type [1] Int32, padata-value [2] OCTET STRING }
struct PAData: Equatable {
    static let tgsReq = 1
    static let keyListReq = 161
    static let keyListRep = 162
    var type: Int
    var value: [UInt8]

    static func encode(_ list: [PAData], _ s: inout DER.Serializer, _ n: UInt) throws {
        try KDER.field(&s, n) { s in
            try s.appendConstructedNode(identifier: .sequence) { s in
                for p in list {
                    try s.appendConstructedNode(identifier: .sequence) { s in
                        try KDER.int(&s, 1, p.type)
                        try KDER.octets(&s, 2, p.value)
                    }
                }
            }
        }
    }

    static func decode(_ node: ASN1Node?, what: String) throws -> [PAData] {
        guard let node else { return [] }
        return try KDER.sequenceOf(node, what: what).map { e in
            let f = try KDER.fields(e, what: what, required: [1])
            return PAData(type: try KDER.int(f[1], what: "padata-type"), value: try f[2].map { try KDER.octets($0, what: "padata-value") } ?? [])
        }
    }
}

/// KDC-REP (AS-REP [APPLICATION 11], TGS-REP [APPLICATION 13]): pvno [0], msg-type [1],
/// padata [2] OPT, crealm [3], cname [4], ticket [5], enc-part [6].
struct KDCReply {
    var messageType: Int
    var padata: [PAData]
    var crealm: String
    var cname: PrincipalName
    var ticket: Ticket
    var ticketDER: [UInt8]
    var encPart: EncryptedData

    func der() throws -> [UInt8] {
        try KDER.encode { s in
            try s.appendConstructedNode(identifier: KDER.application(UInt(messageType))) { s in
                try s.appendConstructedNode(identifier: .sequence) { s in
                    try KDER.int(&s, 0, 5)
                    try KDER.int(&s, 1, messageType)
                    if !padata.isEmpty { try PAData.encode(padata, &s, 2) }
                    KDER.string(&s, 3, crealm)
                    try cname.encode(&s, 4)
                    KDER.raw(&s, 5, ticketDER)
                    try encPart.encode(&s, 6)
                }
            }
        }
    }

    init(messageType: Int, padata: [PAData], crealm: String, cname: PrincipalName, ticket: Ticket, ticketDER: [UInt8], encPart: EncryptedData) {
        self.messageType = messageType; self.padata = padata; self.crealm = crealm; self.cname = cname
        self.ticket = ticket; self.ticketDER = ticketDER; self.encPart = encPart
    }

    init(der node: ASN1Node, messageType: Int) throws {
        let what = messageType == 11 ? "AS-REP" : "TGS-REP"
        let f = try KDER.fields(node, KDER.application(UInt(messageType)), what: what, required: [0, 1, 3, 4, 5, 6])
        guard try KDER.int(f[0], what: "pvno") == 5, try KDER.int(f[1], what: "msg-type") == messageType else {
            throw KerberosDecodingError("\(what): wrong pvno or msg-type")
        }
        self.messageType = messageType
        padata = try PAData.decode(f[2], what: "\(what) padata")
        crealm = try KDER.string(f[3], what: "crealm")
        cname = try PrincipalName(der: f[4], what: "cname")
        ticket = try Ticket(der: f[5]!)
        ticketDER = Array(f[5]!.encodedBytes)
        encPart = try EncryptedData(der: f[6], what: "\(what) enc-part")
    }
}

/// EncKDCRepPart (EncASRepPart [APPLICATION 25], EncTGSRepPart [APPLICATION 26]): key [0],
/// last-req [1], nonce [2], key-expiration [3] OPT, flags [4], authtime [5], starttime [6] OPT,
/// endtime [7], renew-till [8] OPT, srealm [9], sname [10], caddr [11] OPT, encrypted-pa-data [12] OPT.
struct EncKDCRepPart {
    var keyType: Int
    var key: [UInt8]
    var nonce: Int
    var flags: UInt32
    var authTime: Date
    var startTime: Date?
    var endTime: Date
    var renewTill: Date?
    var srealm: String
    var sname: PrincipalName
    var encryptedPAData: [PAData]

    func der(application: UInt) throws -> [UInt8] {
        try KDER.encode { s in
            try s.appendConstructedNode(identifier: KDER.application(application)) { s in
                try s.appendConstructedNode(identifier: .sequence) { s in
                    try encodeKey(&s, 0, type: keyType, key: key)
                    try KDER.field(&s, 1) { s in
                        try s.appendConstructedNode(identifier: .sequence) { s in
                            try s.appendConstructedNode(identifier: .sequence) { s in  // one entry: lr-type 0, lr-value authtime
                                try KDER.int(&s, 0, 0)
                                KDER.time(&s, 1, authTime)
                            }
                        }
                    }
                    try KDER.int(&s, 2, nonce)
                    KDER.flags(&s, 4, flags)
                    KDER.time(&s, 5, authTime)
                    if let startTime { KDER.time(&s, 6, startTime) }
                    KDER.time(&s, 7, endTime)
                    if let renewTill { KDER.time(&s, 8, renewTill) }
                    KDER.string(&s, 9, srealm)
                    try sname.encode(&s, 10)
                    if !encryptedPAData.isEmpty { try PAData.encode(encryptedPAData, &s, 12) }
                }
            }
        }
    }

    init(keyType: Int, key: [UInt8], nonce: Int, flags: UInt32, authTime: Date, startTime: Date?, endTime: Date, renewTill: Date?,
         srealm: String, sname: PrincipalName, encryptedPAData: [PAData] = []) {
        self.keyType = keyType; self.key = key; self.nonce = nonce; self.flags = flags; self.authTime = authTime
        self.startTime = startTime; self.endTime = endTime; self.renewTill = renewTill; self.srealm = srealm
        self.sname = sname; self.encryptedPAData = encryptedPAData
    }

    /// Accepts both tags for either reply: RFC 4120 3.3.3 notes KDCs that use 25 in a TGS-REP.
    init(der bytes: [UInt8]) throws {
        let node = try KDER.parse(bytes)
        let tag = node.identifier.tagNumber
        guard node.identifier.tagClass == .application, tag == 25 || tag == 26 else {
            throw KerberosDecodingError("EncKDCRepPart: unexpected tag \(node.identifier)")
        }
        let f = try KDER.fields(node, KDER.application(tag), what: "EncKDCRepPart", required: [0, 1, 2, 4, 5, 7, 9, 10])
        (keyType, key) = try decodeKey(f[0]!, what: "EncKDCRepPart key")
        nonce = try KDER.int(f[2], what: "nonce")
        flags = try KDER.flags(f[4], what: "flags")
        authTime = try KDER.time(f[5], what: "authtime")
        startTime = try f[6].map { try KDER.time($0, what: "starttime") }
        endTime = try KDER.time(f[7], what: "endtime")
        renewTill = try f[8].map { try KDER.time($0, what: "renew-till") }
        srealm = try KDER.string(f[9], what: "srealm")
        sname = try PrincipalName(der: f[10], what: "sname")
        encryptedPAData = try PAData.decode(f[12], what: "encrypted-pa-data")
    }
}

/// KRB-ERROR ::= [APPLICATION 30] SEQUENCE { pvno [0], msg-type [1], ctime [2] OPT, cusec [3] OPT,
/// stime [4], susec [5], error-code [6], crealm [7] OPT, cname [8] OPT, realm [9], sname [10],
/// e-text [11] OPT, e-data [12] OPT }
struct KRBError {
    var errorCode: Int
    var realm: String
    var sname: PrincipalName
    var text: String?
    var eData: [UInt8]?

    init(der node: ASN1Node) throws {
        let f = try KDER.fields(node, KDER.application(30), what: "KRB-ERROR", required: [0, 1, 4, 5, 6, 9, 10])
        guard try KDER.int(f[0], what: "pvno") == 5, try KDER.int(f[1], what: "msg-type") == 30 else {
            throw KerberosDecodingError("KRB-ERROR: wrong pvno or msg-type")
        }
        _ = try KDER.time(f[4], what: "stime")
        _ = try KDER.int(f[5], what: "susec")
        errorCode = try KDER.int(f[6], what: "error-code")
        realm = try KDER.string(f[9], what: "realm")
        sname = try PrincipalName(der: f[10], what: "sname")
        text = try f[11].map { try KDER.string($0, what: "e-text") }
        eData = try f[12].map { try KDER.octets($0, what: "e-data") }
    }
}
