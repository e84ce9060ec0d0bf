import Testing
@testable import AADKerbCore

/// The domain head's DACL read for who may replicate secrets (doctor's tier0-allowed check).
@Suite struct SecurityDescriptorTests {
    static func ace(type: UInt8, flags: UInt8 = 0, mask: UInt32, objectType: [UInt8]? = nil, inherited: Bool = false, sid: String) -> [UInt8] {
        var body = withUnsafeBytes(of: mask.littleEndian, Array.init)
        if type == 0x05 {
            let objectFlags: UInt32 = (objectType != nil ? 1 : 0) | (inherited ? 2 : 0)
            body += withUnsafeBytes(of: objectFlags.littleEndian, Array.init)
            if let objectType { body += objectType }
            if inherited { body += SecurityDescriptor.guidBytes("bf967aba-0de6-11d0-a285-00aa003049e2") }
        }
        body += parseSID(sid)!
        let size = 4 + body.count
        return [type, flags, UInt8(size & 0xff), UInt8(size >> 8)] + body
    }

    static func descriptor(_ aces: [[UInt8]]) -> [UInt8] {
        let acl = aces.flatMap { $0 }
        let aclSize = 8 + acl.count
        let dacl: [UInt8] = [4, 0, UInt8(aclSize & 0xff), UInt8(aclSize >> 8), UInt8(aces.count), 0, 0, 0] + acl
        // revision 1, control SE_DACL_PRESENT | SE_SELF_RELATIVE, no owner/group/SACL, DACL at 20
        return [1, 0, 0x04, 0x80] + [0, 0, 0, 0] + [0, 0, 0, 0] + [0, 0, 0, 0] + [20, 0, 0, 0] + dacl
    }

    let getChangesAll = SecurityDescriptor.guidBytes("1131f6ad-9c07-11d1-f79f-00c04fc2dcd2")
    let getChanges = SecurityDescriptor.guidBytes("1131f6aa-9c07-11d1-f79f-00c04fc2dcd2")

    @Test func theGUIDIsInItsWireLayout() {
        #expect(getChangesAll == [0xad, 0xf6, 0x31, 0x11, 0x07, 0x9c, 0xd1, 0x11, 0xf7, 0x9f, 0x00, 0xc0, 0x4f, 0xc2, 0xdc, 0xd2])
    }

    @Test func findsWhoMayReplicateSecrets() {
        let sd = Self.descriptor([
            Self.ace(type: 0x05, mask: 0x100, objectType: getChangesAll, sid: "S-1-5-21-1-2-3-1105"),           // the right itself
            Self.ace(type: 0x05, mask: 0x100, objectType: getChanges, sid: "S-1-5-21-1-2-3-1106"),              // changes, not secrets
            Self.ace(type: 0x00, mask: 0x1000_0000, sid: "S-1-5-21-1-2-3-1107"),                                // GENERIC_ALL
            Self.ace(type: 0x00, mask: 0x0002_0094, sid: "S-1-5-11"),                                           // read only
            Self.ace(type: 0x05, flags: 0x0a, mask: 0x100, objectType: getChangesAll, sid: "S-1-5-21-1-2-3-1108"),  // inherit-only
            Self.ace(type: 0x05, mask: 0x100, objectType: nil, sid: "S-1-5-21-1-2-3-1109"),                     // all extended rights
            Self.ace(type: 0x05, mask: 0x100, objectType: getChangesAll, sid: "S-1-5-21-1-2-3-1105"),           // twice: once
        ])
        #expect(SecurityDescriptor.replicationTrustees(sd) == ["S-1-5-21-1-2-3-1105", "S-1-5-21-1-2-3-1107", "S-1-5-21-1-2-3-1109"])
    }

    @Test func malformedDescriptorsDoNotTrap() {
        let sd = Self.descriptor([Self.ace(type: 0x05, mask: 0x100, objectType: getChangesAll, sid: "S-1-5-21-1-2-3-1105")])
        for cut in 0..<sd.count { _ = SecurityDescriptor.replicationTrustees(Array(sd.prefix(cut))) }
        var noDACL = sd
        noDACL[2] = 0
        #expect(SecurityDescriptor.replicationTrustees(noDACL).isEmpty)
        var hugeCount = sd
        hugeCount[24] = 0xff
        #expect(SecurityDescriptor.replicationTrustees(hugeCount) == ["S-1-5-21-1-2-3-1105"])
    }
}
