import AADKerbCore
import Foundation
import LDAPClient
import Testing

extension SharedServers {
    /// `aadkerb policy` against contoso's DC: edits round-trip, explain follows nested groups and
    /// the primary group.
    @Suite struct PolicyTests {
        @Test func editsRoundTripAndExplainFollowsNestedAndPrimaryGroups() async throws {
            let dc = try await Fixture.shared.dc("contoso")
            let c = try await dc.adminConnection()
            try await Seeder.remove(dc, c)
            #expect(try aadkerb(["set"] + dc.connectionArguments).status == 0)
            let args = dc.connectionArguments

            let shown = try jsonObject(try aadkerb(["policy", "show"] + args + ["-o", "json"]).stdout)
            let allowed = (shown["Allowed"] as? [[String: Any]] ?? []).compactMap { $0["Name"] as? String }
            let denied = (shown["Denied"] as? [[String: Any]] ?? []).compactMap { $0["Name"] as? String }
            #expect(allowed == ["Domain Users"])
            #expect(denied.contains("Domain Admins") && denied.contains("Administrators"), "\(denied)")

            // tier0 > inner > alice (nested); bob's primary group is pg
            let ou = try await dc.scratchOU(c)
            let tag = UUID().uuidString.prefix(6).lowercased()
            func group(_ name: String) async throws -> String {
                let dn = "CN=\(name),\(ou)"
                try await c.add(dn, attributes: [LDAPModification(.add, "objectClass", strings: ["group"]),
                                                 LDAPModification(.add, "sAMAccountName", strings: [name])])
                return dn
            }
            func user(_ name: String) async throws -> String {
                let dn = "CN=\(name),\(ou)"
                try await c.add(dn, attributes: [LDAPModification(.add, "objectClass", strings: ["user"]),
                                                 LDAPModification(.add, "sAMAccountName", strings: [name])])
                return dn
            }
            let tier0 = try await group("tier0-\(tag)"), inner = try await group("inner-\(tag)"), pg = try await group("pg-\(tag)")
            let alice = try await user("alice-\(tag)"), bob = try await user("bob-\(tag)")
            try await c.modify(tier0, [LDAPModification(.add, "member", strings: [inner])])
            try await c.modify(inner, [LDAPModification(.add, "member", strings: [alice])])
            try await c.modify(pg, [LDAPModification(.add, "member", strings: [bob])])
            let pgSID = try #require(try await c.read(pg, attributes: ["objectSid"])?.bytes("objectSid").flatMap(formatSID))
            try await c.modify(bob, [LDAPModification(.replace, "primaryGroupID", strings: [String(pgSID.split(separator: "-").last!)])])
            // (the DC drops the explicit membership: the primary group is implicit, found only via tokenGroups)

            let before = try aadkerb(["policy", "explain"] + args + ["alice-\(tag)", "-o", "json"])
            #expect(before.status == 0, "\(before.stdout)")  // a new user's primary group is Domain Users, which is allowed
            #expect(try jsonObject(before.stdout)["AllowedBy"] as? [String] == ["Domain Users"])

            let dry = try aadkerb(["policy", "deny", "--dry-run"] + args + ["tier0-\(tag)", "pg-\(tag)", "-o", "json"])
            #expect(dry.status == 0)
            #expect((try jsonObject(dry.stdout)["Steps"] as? [Any])?.count == 2)
            #expect(try jsonObject(try aadkerb(["policy", "show"] + args + ["-o", "json"]).stdout)["Denied"] as? [Any] != nil)
            #expect(!(try aadkerb(["policy", "show"] + args).stdout.contains("tier0-\(tag)")))  // the dry run wrote nothing

            #expect(try aadkerb(["policy", "deny"] + args + ["tier0-\(tag)", pgSID]).status == 0)
            #expect(try aadkerb(["policy", "show"] + args).stdout.contains("tier0-\(tag)"))
            #expect(try aadkerb(["policy", "deny"] + args + ["tier0-\(tag)"]).stdout.contains("Nothing to change"))

            let nested = try aadkerb(["policy", "explain"] + args + ["alice-\(tag)", "-o", "json"])
            #expect(nested.status == 7)
            let why = try jsonObject(nested.stdout)
            #expect(why["Verdict"] as? String == "Denied")
            #expect(why["DeniedBy"] as? [String] == ["tier0-\(tag)"])
            let primary = try jsonObject(try aadkerb(["policy", "explain"] + args + ["bob-\(tag)", "-o", "json"]).stdout)
            #expect(primary["Verdict"] as? String == "Denied")
            #expect(primary["DeniedBy"] as? [String] == ["pg-\(tag)"])

            // allow inner: still denied, denial wins; remove the deny: allowed, exit 0
            #expect(try aadkerb(["policy", "allow"] + args + ["inner-\(tag)"]).status == 0)
            #expect(try jsonObject(try aadkerb(["policy", "explain"] + args + ["alice-\(tag)", "-o", "json"]).stdout)["Verdict"] as? String == "Denied")
            #expect(try aadkerb(["policy", "deny", "--remove"] + args + ["tier0-\(tag)"]).status == 0)
            let allowedNow = try aadkerb(["policy", "explain"] + args + ["alice-\(tag)"])
            #expect(allowedNow.status == 0, "\(allowedNow.stdout)")
            #expect(allowedNow.stdout.contains("allowed by") && allowedNow.stdout.contains("inner-\(tag)"))

            // Administrator stays denied by default
            let admin = try jsonObject(try aadkerb(["policy", "explain"] + args + ["Administrator", "-o", "json"]).stdout)
            #expect(admin["Verdict"] as? String == "Denied")

            let unknown = try aadkerb(["policy", "deny"] + args + ["nobody-\(tag)"])
            #expect(unknown.status == 64)
            #expect(unknown.stderr.contains("no user, group or computer named 'nobody-\(tag)'"))

            // reset: back to set's policy (the deny entries for tier0 and pg and inner's allow entry go)
            #expect(try aadkerb(["policy", "deny"] + args + ["tier0-\(tag)"]).status == 0)
            let resetDry = try aadkerb(["policy", "reset", "--dry-run"] + args + ["-o", "json"])
            let planned = try #require(try jsonObject(resetDry.stdout)["Steps"] as? [[String: String]])
            #expect(planned.map { $0["Action"]! } == ["Remove", "Remove", "Remove"], "\(planned)")
            for name in ["tier0-\(tag)", "pg-\(tag)", "inner-\(tag)"] {
                #expect(planned.contains { $0["Detail"]!.contains(name) }, "\(name) not in \(planned)")
            }
            #expect(try aadkerb(["policy", "reset"] + args).status == 0)
            let afterReset = try jsonObject(try aadkerb(["policy", "show"] + args + ["-o", "json"]).stdout)
            #expect((afterReset["Allowed"] as? [[String: Any]])?.compactMap { $0["Name"] as? String } == ["Domain Users"])
            #expect((afterReset["Denied"] as? [[String: Any]])?.compactMap { $0["Name"] as? String }.sorted() == denied.sorted())
            #expect(try aadkerb(["policy", "reset"] + args).stdout.contains("Nothing to change"))

            try await c.delete(bob)  // first: the DC refuses to delete a group that is someone's primary group
            try await c.delete(ou, controls: [.treeDelete])
            try await Seeder.remove(dc, c)
            #expect(try aadkerb(["policy", "show"] + args).status == 3)  // no object: say so
        }
    }
}
