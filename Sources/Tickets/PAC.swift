import Foundation

/// A Windows security identifier, S-1-5-21-a-b-c-RID.
public struct SecurityIdentifier: Sendable, Hashable, CustomStringConvertible {
    public var revision: UInt8
    public var authority: UInt64
    public var subAuthorities: [UInt32]

    /// Parses the string form "S-1-5-21-...". Throws `TicketsError.invalidArgument` otherwise.
    public init(_ text: String) throws {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts.count <= 18, parts[0] == "S" || parts[0] == "s",
              let revision = UInt8(parts[1]), revision == 1, let authority = UInt64(parts[2]), authority < 1 << 48
        else { throw TicketsError.invalidArgument("not a SID: \(text)") }
        var subs: [UInt32] = []
        for p in parts[3...] {
            guard let v = UInt32(p) else { throw TicketsError.invalidArgument("not a SID: \(text)") }
            subs.append(v)
        }
        self.revision = revision
        self.authority = authority
        self.subAuthorities = subs
    }

    public init(revision: UInt8 = 1, authority: UInt64, subAuthorities: [UInt32]) {
        self.revision = revision
        self.authority = authority
        self.subAuthorities = subAuthorities
    }

    public var description: String { "S-\(revision)-\(authority)" + subAuthorities.map { "-\($0)" }.joined() }

    /// The domain part (every sub-authority but the last) and the RID (the last).
    var split: (domain: SecurityIdentifier, rid: UInt32)? {
        guard let rid = subAuthorities.last, subAuthorities.count >= 2 else { return nil }
        return (SecurityIdentifier(revision: revision, authority: authority, subAuthorities: Array(subAuthorities.dropLast())), rid)
    }

    /// The binary form (MS-DTYP 2.4.2.2): revision, count, 48-bit big-endian authority, LE sub-authorities.
    var bytes: [UInt8] {
        var out: [UInt8] = [revision, UInt8(subAuthorities.count)]
        for shift in stride(from: 40, through: 0, by: -8) { out.append(UInt8((authority >> UInt64(shift)) & 0xff)) }
        for s in subAuthorities { out += withUnsafeBytes(of: s.littleEndian, Array.init) }
        return out
    }
}

/// The PAC buffers aadkerb writes itself (MIT adds CLIENT_INFO and the signatures).
enum PACBuffers {
    static let logonInfo: UInt32 = 1
    static let clientInfo: UInt32 = 10
    static let requestor: UInt32 = 18
    static let serverChecksum: UInt32 = 6
    static let kdcChecksum: UInt32 = 7

    /// PAC_REQUESTOR (MS-PAC 2.15): the client's SID, binary.
    static func requestor(_ sid: SecurityIdentifier) -> [UInt8] { sid.bytes }

    /// LOGON_INFO (MS-PAC 2.5): KERB_VALIDATION_INFO, NDR-encoded with a type serialisation
    /// version 1 header (MS-RPCE 2.2.6), padded to 8 bytes (Samba refuses it otherwise).
    static func logonInfo(userName: String, userSID: SecurityIdentifier, logonDomainName: String, logonTime: Date,
                          primaryGroup: UInt32 = 513) throws -> [UInt8] {
        guard let (domainSID, rid) = userSID.split else { throw TicketsError.invalidArgument("the user SID \(userSID) has no RID") }
        var n = NDRWriter()
        n.pointer()  // the top-level unique pointer to KERB_VALIDATION_INFO
        let never: UInt64 = 0x7fff_ffff_ffff_ffff
        n.filetime(logonTime)              // LogonTime
        n.u64(never)                       // LogoffTime
        n.u64(never)                       // KickOffTime
        n.u64(0)                           // PasswordLastSet
        n.u64(0)                           // PasswordCanChange
        n.u64(never)                       // PasswordMustChange
        n.unicodeString(userName)          // EffectiveName
        n.unicodeString("")                // FullName
        n.unicodeString("")                // LogonScript
        n.unicodeString("")                // ProfilePath
        n.unicodeString("")                // HomeDirectory
        n.unicodeString("")                // HomeDirectoryDrive
        n.u16(0); n.u16(0)                 // LogonCount, BadPasswordCount
        n.u32(rid)                         // UserId
        n.u32(primaryGroup)                // PrimaryGroupId
        n.u32(1)                           // GroupCount: the primary group only
        n.deferred { n in                  // GroupIds
            n.u32(1)                       //   conformance
            n.u32(primaryGroup); n.u32(7)  //   SE_GROUP_MANDATORY | ENABLED_BY_DEFAULT | ENABLED
        }
        n.u32(0)                           // UserFlags
        n.bytes([UInt8](repeating: 0, count: 16))  // UserSessionKey
        n.unicodeString("")                // LogonServer
        n.unicodeString(logonDomainName)   // LogonDomainName
        n.deferred { n in n.sid(domainSID) }       // LogonDomainId
        n.u32(0); n.u32(0)                 // Reserved1
        n.u32(0x10)                        // UserAccountControl: USER_NORMAL_ACCOUNT
        n.u32(0)                           // SubAuthStatus
        n.u64(0); n.u64(0)                 // LastSuccessfulILogon, LastFailedILogon
        n.u32(0); n.u32(0)                 // FailedILogonCount, Reserved3
        n.u32(0); n.null()                 // SidCount, ExtraSids
        n.null()                           // ResourceGroupDomainSid
        n.u32(0); n.null()                 // ResourceGroupCount, ResourceGroupIds
        return n.serialized()
    }
}

/// A little-endian NDR (MS-RPCE 2.2.5 / C706 14) writer for one top-level structure: embedded
/// pointers get referent ids and their data goes after the structure, in order.
struct NDRWriter {
    private(set) var body: [UInt8] = []
    private var pending: [(inout NDRWriter) -> Void] = []
    private var nextReferent: UInt32 = 0x0002_0000

    mutating func align(_ n: Int) { while body.count % n != 0 { body.append(0) } }
    mutating func bytes(_ b: [UInt8]) { body += b }
    mutating func u16(_ v: UInt16) { align(2); body += withUnsafeBytes(of: v.littleEndian, Array.init) }
    mutating func u32(_ v: UInt32) { align(4); body += withUnsafeBytes(of: v.littleEndian, Array.init) }
    /// A 64-bit value as MS-DTYP FILETIME: two 32-bit halves, 4-byte alignment.
    mutating func u64(_ v: UInt64) { u32(UInt32(v & 0xffff_ffff)); u32(UInt32(v >> 32)) }
    mutating func filetime(_ date: Date) {
        u64(UInt64(max(0, (date.timeIntervalSince1970 + 11_644_473_600) * 10_000_000).rounded(.down)))
    }
    mutating func pointer() { u32(nextReferent); nextReferent += 4 }
    mutating func null() { u32(0) }
    /// A non-null embedded pointer whose referent `write` writes after the structure.
    mutating func deferred(_ write: @escaping (inout NDRWriter) -> Void) { pointer(); pending.append(write) }

    /// RPC_UNICODE_STRING: length and maximum length in bytes, then a pointer to a conformant
    /// varying array of UTF-16LE units (null for the empty string).
    mutating func unicodeString(_ s: String) {
        let units = Array(s.utf16)
        u16(UInt16(units.count * 2)); u16(UInt16(units.count * 2))
        if units.isEmpty { null(); return }
        deferred { n in
            n.u32(UInt32(units.count)); n.u32(0); n.u32(UInt32(units.count))
            for u in units { n.u16(u) }
        }
    }

    /// RPC_SID as a referent: conformance (sub-authority count), then the structure.
    mutating func sid(_ sid: SecurityIdentifier) {
        u32(UInt32(sid.subAuthorities.count))
        bytes(Array(sid.bytes.prefix(8)))
        for s in sid.subAuthorities { u32(s) }
    }

    /// The deferred referents written, then the type serialisation header around the body
    /// (padded to 8 bytes; the private header's length counts the padding, as it must).
    mutating func serialized() -> [UInt8] {
        while !pending.isEmpty {
            let now = pending
            pending = []
            for write in now { write(&self) }
        }
        align(8)
        var out: [UInt8] = [0x01, 0x10, 0x08, 0x00, 0xcc, 0xcc, 0xcc, 0xcc]
        out += withUnsafeBytes(of: UInt32(body.count).littleEndian, Array.init)
        out += [0, 0, 0, 0]
        return out + body
    }
}
