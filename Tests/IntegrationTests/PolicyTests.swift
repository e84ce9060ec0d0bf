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
            #expect(try await aadkerb(["set"] + dc.connectionArguments).status == 0)
            let args = dc.connectionArguments

            let shown = try decodeOutput(PolicyShowOutput.self, try await aadkerb(["policy", "show"] + args + ["-o", "json"]).stdout)
            let allowed = shown.Allowed.map(\.Name)
            let denied = shown.Denied.map(\.Name)
            #expect(shown.Denied.allSatisfy { $0.DistinguishedName.hasSuffix(dc.baseDN) && $0.Sid?.hasPrefix("S-1-5-") == true }, "\(shown.Denied)")
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

            let before = try await aadkerb(["policy", "explain"] + args + ["alice-\(tag)", "-o", "json"])
            #expect(before.status == 0, "\(before.stdout)")  // a new user's primary group is Domain Users, which is allowed
            #expect(try decodeOutput(PolicyExplainOutput.self, before.stdout).AllowedBy == ["Domain Users"])

            let dry = try await aadkerb(["policy", "deny", "--dry-run"] + args + ["tier0-\(tag)", "pg-\(tag)", "-o", "json"])
            #expect(dry.status == 0)
            let plan = try decodeOutput(StepsOutput.self, dry.stdout)
            #expect(plan.Steps.count == 2 && plan.DryRun && plan.Command == "policy deny")
            #expect(!(try await aadkerb(["policy", "show"] + args).stdout.contains("tier0-\(tag)")))  // the dry run wrote nothing

            #expect(try await aadkerb(["policy", "deny"] + args + ["tier0-\(tag)", pgSID]).status == 0)
            #expect(try await aadkerb(["policy", "show"] + args).stdout.contains("tier0-\(tag)"))
            #expect(try await aadkerb(["policy", "deny"] + args + ["tier0-\(tag)"]).stdout.contains("Nothing to change"))

            let nested = try await aadkerb(["policy", "explain"] + args + ["alice-\(tag)", "-o", "json"])
            #expect(nested.status == 7)
            let why = try decodeOutput(PolicyExplainOutput.self, nested.stdout)
            #expect(why.Verdict == "Denied")
            #expect(why.DeniedBy == ["tier0-\(tag)"])
            #expect(why.Principal == alice)
            let primary = try decodeOutput(PolicyExplainOutput.self, try await aadkerb(["policy", "explain"] + args + ["bob-\(tag)", "-o", "json"]).stdout)
            #expect(primary.Verdict == "Denied")
            #expect(primary.DeniedBy == ["pg-\(tag)"])

            // allow inner: still denied, denial wins; remove the deny: allowed, exit 0
            #expect(try await aadkerb(["policy", "allow"] + args + ["inner-\(tag)"]).status == 0)
            #expect(try decodeOutput(PolicyExplainOutput.self, try await aadkerb(["policy", "explain"] + args + ["alice-\(tag)", "-o", "json"]).stdout).Verdict == "Denied")
            #expect(try await aadkerb(["policy", "deny", "--remove"] + args + ["tier0-\(tag)"]).status == 0)
            let allowedNow = try await aadkerb(["policy", "explain"] + args + ["alice-\(tag)"])
            #expect(allowedNow.status == 0, "\(allowedNow.stdout)")
            #expect(allowedNow.stdout.contains("allowed by") && allowedNow.stdout.contains("inner-\(tag)"))

            // Administrator stays denied by default
            let admin = try decodeOutput(PolicyExplainOutput.self, try await aadkerb(["policy", "explain"] + args + ["Administrator", "-o", "json"]).stdout)
            #expect(admin.Verdict == "Denied")

            let unknown = try await aadkerb(["policy", "deny"] + args + ["nobody-\(tag)"])
            #expect(unknown.status == 64)
            #expect(unknown.stderr.contains("no user, group or computer named 'nobody-\(tag)'"))

            // reset: back to set's policy (the deny entries for tier0 and pg and inner's allow entry go)
            #expect(try await aadkerb(["policy", "deny"] + args + ["tier0-\(tag)"]).status == 0)
            let resetDry = try await aadkerb(["policy", "reset", "--dry-run"] + args + ["-o", "json"])
            let planned = try decodeOutput(StepsOutput.self, resetDry.stdout).Steps
            #expect(planned.map(\.Action) == ["Remove", "Remove", "Remove"], "\(planned)")
            for name in ["tier0-\(tag)", "pg-\(tag)", "inner-\(tag)"] {
                #expect(planned.contains { $0.Detail?.contains(name) == true }, "\(name) not in \(planned)")
            }
            #expect(try await aadkerb(["policy", "reset"] + args).status == 0)
            let afterReset = try decodeOutput(PolicyShowOutput.self, try await aadkerb(["policy", "show"] + args + ["-o", "json"]).stdout)
            #expect(afterReset.Allowed.map(\.Name) == ["Domain Users"])
            #expect(afterReset.Denied.map(\.Name).sorted() == denied.sorted())
            #expect(try await aadkerb(["policy", "reset"] + args).stdout.contains("Nothing to change"))

            try await c.delete(bob)  // first: the DC refuses to delete a group that is someone's primary group
            try await c.delete(ou, controls: [.treeDelete])
            try await Seeder.remove(dc, c)
            #expect(try await aadkerb(["policy", "show"] + args).status == 3)  // no object: say so
        }
    }
}
