import AADKerbCore
import Foundation
import LDAPClient
import Testing

extension SharedServers {
    /// doctor's tier0-allowed check and the default deny list (security issue, item 7): accounts
    /// that are tier 0 by rights (adminCount=1, the right to replicate secrets) but allowed by the
    /// reveal policy are named; Print Operators is denied by default.
    @Suite struct TierZeroTests {
        func check(_ ctx: RotateTests.Context) async throws -> DoctorOutput.Check {
            let doctor = try await aadkerb(["doctor"] + ctx.dc.connectionArguments + ["-o", "json"])
            let checks = try decodeOutput(DoctorOutput.self, doctor.stdout).Checks
            return try #require(checks.first { $0.Name == "tier0-allowed" }, "\(checks)\n\(doctor.stderr)")
        }

        @Test func tierZeroAccountsTheReplicationRightAndAdminCountMarkAreNamed() async throws {
            let ctx = try await RotateTests().freshlySet(on: "northwind")
            let c = try await ctx.dc.adminConnection()
            // what an earlier, interrupted run left
            for old in try await c.search(base: "CN=Users,\(ctx.dc.baseDN)", scope: .oneLevel, filter: .equal("objectClass", "user"),
                                          attributes: ["sAMAccountName"]) where old.string("sAMAccountName")?.hasPrefix("t0-") == true {
                try await c.delete(old.dn)
            }
            let fresh = try await check(ctx)
            #expect(fresh.Status == "Pass", "a fresh domain has no allowed tier-0 account: \(fresh)")

            // Print Operators is denied by default
            let policy = try await aadkerb(["policy", "show"] + ctx.dc.connectionArguments + ["-o", "json"])
            let denied = try decodeOutput(PolicyShowOutput.self, policy.stdout).Denied.compactMap(\.Sid)
            #expect(denied.contains("S-1-5-32-550"), "\(denied)")

            let tag = UUID().uuidString.prefix(6).lowercased()
            let (marked, syncer) = ("t0-marked-\(tag)", "t0-sync-\(tag)")
            try await ctx.dc.addUser(c, in: "CN=Users,\(ctx.dc.baseDN)", marked)
            try await ctx.dc.addUser(c, in: "CN=Users,\(ctx.dc.baseDN)", syncer)
            try await c.modify("CN=\(marked),CN=Users,\(ctx.dc.baseDN)", [LDAPModification(.replace, "adminCount", strings: ["1"])])

            // the sync-like account gets DS-Replication-Get-Changes-All on the domain head (DACL only)
            let sdFlags = LDAPRequestControl(oid: "1.2.840.113556.1.4.801", isCritical: true, value: [0x30, 0x03, 0x02, 0x01, 0x04])
            let original = try #require(try await c.read(ctx.dc.baseDN, attributes: ["nTSecurityDescriptor"], controls: [sdFlags])?.bytes("nTSecurityDescriptor"))
            let sid = try #require(try await c.read("CN=\(syncer),CN=Users,\(ctx.dc.baseDN)", attributes: ["objectSid"])?.bytes("objectSid"))
            try await c.modify(ctx.dc.baseDN, [LDAPModification(.replace, "nTSecurityDescriptor", values: [Self.granting(original, sid: sid)])],
                               controls: [sdFlags])

            let warned = try await check(ctx)
            #expect(warned.Status == "Warn", "\(warned)")
            let detail = warned.Detail
            #expect(detail.contains("\(marked) (adminCount=1)") && detail.contains("\(syncer) (may replicate secrets)"), "\(detail)")

            // denied by the policy: no longer named
            for user in [marked, syncer] {
                let deny = try await aadkerb(["policy", "deny"] + ctx.dc.connectionArguments + [user])
                #expect(deny.status == 0, "\(deny.stderr)")
            }
            let afterDeny = try await check(ctx)
            #expect(afterDeny.Status == "Pass", "\(afterDeny)")
            try await c.modify(ctx.dc.baseDN, [LDAPModification(.replace, "nTSecurityDescriptor", values: [original])], controls: [sdFlags])
            for user in [marked, syncer] { try await c.delete("CN=\(user),CN=Users,\(ctx.dc.baseDN)") }
        }

        /// `original` (a self-relative SD with a DACL) with one more ACE: ACCESS_ALLOWED_OBJECT,
        /// control access to DS-Replication-Get-Changes-All, for `sid`.
        static func granting(_ original: [UInt8], sid: [UInt8]) throws -> [UInt8] {
            func u32(_ o: Int) -> Int { Int(original[o]) | Int(original[o + 1]) << 8 | Int(original[o + 2]) << 16 | Int(original[o + 3]) << 24 }
            let dacl = u32(16)
            try #require(dacl > 0 && u32(4) < dacl && u32(8) < dacl && u32(12) < dacl, "the DACL is not last in the descriptor")
            let aclSize = Int(original[dacl + 2]) | Int(original[dacl + 3]) << 8
            let guid = SecurityDescriptor.guidBytes("1131f6ad-9c07-11d1-f79f-00c04fc2dcd2")
            let body: [UInt8] = [0x00, 0x01, 0x00, 0x00] + [0x01, 0x00, 0x00, 0x00] + guid + sid
            let ace: [UInt8] = [0x05, 0x00, UInt8((4 + body.count) & 0xff), UInt8((4 + body.count) >> 8)] + body
            var out = Array(original[0..<(dacl + aclSize)])
            let newSize = aclSize + ace.count
            out[dacl + 2] = UInt8(newSize & 0xff); out[dacl + 3] = UInt8(newSize >> 8)
            let count = (Int(out[dacl + 4]) | Int(out[dacl + 5]) << 8) + 1
            out[dacl + 4] = UInt8(count & 0xff); out[dacl + 5] = UInt8(count >> 8)
            return out + ace
        }
    }
}
