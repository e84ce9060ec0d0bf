import Foundation
import LDAPClient
import TenantAPI
import TenantClient
import Testing

extension SharedServers {
    /// `aadkerb set` and `remove` against contoso's DC and the tenant server.
    @Suite struct SetRemoveTests {
        func context() async throws -> (DomainController, TenantServerInstance, [String]) {
            let dc = try await Fixture.shared.dc("contoso")
            let server = try await Fixture.shared.tenant()
            return (dc, server, dc.connectionArguments + server.arguments())
        }

        /// The DC's highest committed USN: unchanged means nothing at all was written.
        func highestUSN(_ dc: DomainController) async throws -> Int64 {
            try #require(try await dc.adminConnection().rootDSE(attributes: ["highestCommittedUSN"]).integer("highestCommittedUSN"))
        }

        func clean(_ dc: DomainController, _ server: TenantServerInstance) async throws {
            try await Seeder.remove(dc, try await dc.adminConnection())
            try await server.client().delete(domain: dc.domain)
        }

        @Test func fromNothingToInSyncAndThenNothingToDo() async throws {
            let (dc, server, args) = try await context()
            try await clean(dc, server)
            let first = try await aadkerb(["set"] + args + ["-o", "json"])
            #expect(first.status == 0, "\(first.stderr)")
            let report = try decodeOutput(StepsOutput.self, first.stdout)
            #expect(report.Changed && report.Command == "set" && !report.DryRun)
            #expect(report.Steps.map { "\($0.Side) \($0.Action)" } == ["OnPrem Add", "OnPrem Add", "OnPrem Add", "OnPrem Add", "Cloud Create"])

            let get = try await aadkerb(["get"] + args + ["-o", "json"])
            #expect(get.status == 0, "\(get.stderr)")
            let state = try decodeOutput(GetOutput.self, get.stdout)
            #expect(state.SyncStatus == "InSync")
            #expect(state.Problems == [])
            // the tenant holds the key the DC made (read back over DRSUAPI), at the DC's kvno
            #expect(state.CloudKeyKvno != nil && state.CloudKeyKvno == state.Kvno)
            #expect(state.Comparison?["Kvno"] == "Match")
            #expect(!(try await aadkerb(["get"] + args).stdout.contains("the tenant holds no key")))

            // the read-only DC object as documented: RODC bits, deny-by-default policy
            let c = try await dc.adminConnection()
            let computer = try #require(try await c.read("CN=AzureADKerberos,OU=Domain Controllers,\(dc.baseDN)",
                                                         attributes: ["userAccountControl", "msDS-NeverRevealGroup", "msDS-RevealOnDemandGroup", "primaryGroupID"]))
            #expect(UInt32(computer.integer("userAccountControl") ?? 0) & 0x0400_1000 == 0x0400_1000)
            #expect(computer.integer("primaryGroupID") == 521)
            let denied = computer.strings("msDS-NeverRevealGroup").joined(separator: ";")
            for group in ["CN=Administrators,CN=Builtin", "CN=Domain Admins,CN=Users", "CN=Enterprise Admins,CN=Users",
                          "CN=Denied RODC Password Replication Group,CN=Users", "CN=Backup Operators,CN=Builtin"] {
                #expect(denied.contains(group), "\(group) not denied: \(denied)")
            }
            #expect(computer.strings("msDS-RevealOnDemandGroup").first?.hasPrefix("CN=Domain Users,") == true)

            // a second run writes nothing at all
            let usn = try await highestUSN(dc)
            let second = try await aadkerb(["set"] + args + ["-o", "json"])
            #expect(second.status == 0)
            #expect(try decodeOutput(StepsOutput.self, second.stdout).Changed == false)
            #expect(try await highestUSN(dc) == usn)
            #expect(try await aadkerb(["set"] + args).stdout.contains("Nothing to do"))
        }

        @Test func eachMissingOrDamagedPieceIsRepaired() async throws {
            let (dc, server, args) = try await context()
            _ = try await aadkerb(["set"] + args)
            let base = dc.baseDN
            let breakages: [(String, (LDAPConnection, TenantClient) async throws -> Void)] = [
                ("service connection point", { c, _ in try await c.delete("CN=900274c4-b7d2-43c8-90ee-00a9f650e335,CN=AzureAD,CN=System,\(base)") }),
                ("container", { c, _ in try await c.delete("CN=AzureAD,CN=System,\(base)", controls: [.treeDelete]) }),
                ("computer", { c, _ in try await c.delete("CN=AzureADKerberos,OU=Domain Controllers,\(base)") }),
                ("krbtgt", { c, _ in try await c.delete("CN=krbtgt_AzureAD,CN=Users,\(base)") }),
                ("link", { c, _ in try await c.modify("CN=AzureADKerberos,OU=Domain Controllers,\(base)", [LDAPModification(.delete, "msDS-KrbTgtLink", values: [])]) }),
                ("enabled krbtgt", { c, _ in try await c.modify("CN=krbtgt_AzureAD,CN=Users,\(base)", [LDAPModification(.replace, "userAccountControl", strings: ["512"])]) }),
                ("cloud object", { _, t in try await t.delete(domain: dc.domain) }),
                ("cloud drift", { _, t in
                    let v = try #require(try await t.get(domain: dc.domain))
                    var drifted = v.value
                    drifted.keyVersion += 1
                    _ = try await t.put(drifted, ifMatch: v.etag)
                }),
            ]
            for (name, breakIt) in breakages {
                try await breakIt(try await dc.adminConnection(), try server.client())
                let broken = try await aadkerb(["get"] + args)
                #expect(broken.status != 0, "\(name): get should report the damage")
                let repair = try await aadkerb(["set"] + args + ["-o", "json"])
                #expect(repair.status == 0, "\(name): \(repair.stderr)")
                #expect(try decodeOutput(StepsOutput.self, repair.stdout).Changed == true, "\(name)")
                let after = try await aadkerb(["get"] + args + ["-o", "json"])
                #expect(after.status == 0, "\(name): \(after.stdout)")
                #expect(try decodeOutput(GetOutput.self, after.stdout).SyncStatus == "InSync", "\(name)")
            }
        }

        @Test func dryRunsChangeNothing() async throws {
            let (dc, server, args) = try await context()
            try await clean(dc, server)
            let usn = try await highestUSN(dc)
            let plan = try await aadkerb(["set"] + args + ["--dry-run", "-o", "json"])
            #expect(plan.status == 0, "\(plan.stderr)")
            let report = try decodeOutput(StepsOutput.self, plan.stdout)
            #expect(report.DryRun)
            #expect(report.Changed == false)
            #expect(report.Steps.count == 5)
            #expect(try await highestUSN(dc) == usn)
            #expect(try await server.client().get(domain: dc.domain) == nil)

            _ = try await aadkerb(["set"] + args)
            let usn2 = try await highestUSN(dc)
            let removal = try await aadkerb(["remove"] + args + ["--dry-run"])
            #expect(removal.status == 0)
            #expect(removal.stdout.contains("Would do"))
            #expect(try await highestUSN(dc) == usn2)
            #expect(try await aadkerb(["get"] + args).status == 0)
        }

        @Test func removeDeletesBothSidesAndIsIdempotent() async throws {
            let (dc, _, args) = try await context()
            _ = try await aadkerb(["set"] + args)
            let refused = try await aadkerb(["remove"] + args)  // no terminal, no --yes
            #expect(refused.status == 64)
            #expect(refused.stderr.contains("--yes"))
            #expect(try await aadkerb(["get"] + args).status == 0)

            let removed = try await aadkerb(["remove"] + args + ["--yes", "-o", "json"])
            #expect(removed.status == 0, "\(removed.stderr)")
            #expect(try decodeOutput(StepsOutput.self, removed.stdout).Steps.count == 4)
            let gone = try await aadkerb(["get"] + args + ["-o", "json"])
            #expect(gone.status == 3)
            #expect(try decodeOutput(GetOutput.self, gone.stdout).SyncStatus == "NotConfigured")
            let again = try await aadkerb(["remove"] + args + ["--yes"])
            #expect(again.status == 0)
            #expect(again.stdout.contains("Nothing to remove"))
            _ = dc
        }

        @Test func aLowPrivilegeAccountGetsAccessDeniedNamingTheObject() async throws {
            let (dc, server, _) = try await context()
            try await clean(dc, server)
            let c = try await dc.adminConnection()
            let user = "lowpriv\(UUID().uuidString.prefix(6).lowercased())"
            let password = "Aa1." + Seeder.randomPassword()
            try await c.add("CN=\(user),CN=Users,\(dc.baseDN)", attributes: [
                LDAPModification(.add, "objectClass", strings: ["user"]),
                LDAPModification(.add, "sAMAccountName", strings: [user]),
                LDAPModification(.add, "unicodePwd", values: [Seeder.utf16Quoted(password)]),
                LDAPModification(.add, "userAccountControl", strings: ["512"]),
            ])
            defer { Task { try? await c.delete("CN=\(user),CN=Users,\(dc.baseDN)") } }
            let result = try await aadkerb(["set", "--domain", dc.domain, "--server", dc.uri, "--ca-file", dc.caFile,
                                      "--user", user, "--password-stdin"], stdin: password + "\n")
            #expect(result.status == 11, "\(result.stderr)")
            #expect(result.stderr.contains("CN=krbtgt_AzureAD,CN=Users,\(dc.baseDN)"))
            #expect(result.stderr.contains("Insufficient access (50)"))
            #expect(!result.stderr.contains(password))
            #expect(try await aadkerb(["get"] + dc.connectionArguments).status == 3)
        }
    }
}
