import Foundation
import LDAPClient
import TenantClient
import Testing

extension SharedServers {
    /// Several `--domain` values in one run: contoso and fabrikam (two DCs, two domains), one
    /// account that exists with the same password in both, as an admin account would.
    @Suite struct MultiDomainTests {
        struct Context {
            let dcs: [DomainController]
            let server: TenantServerInstance
            let user: String
            let password: String
            let caBundle: String

            /// --domain/--server for each DC, in order, then the shared account and CA bundle.
            func arguments(servers: [String]? = nil) -> [String] {
                var args: [String] = []
                for (dc, uri) in zip(dcs, servers ?? dcs.map(\.uri)) { args += ["--domain", dc.domain, "--server", uri] }
                return args + ["--ca-file", caBundle, "--user", user, "--password-stdin"]
            }
        }

        /// Creates `aadmulti<random>` in both domains as a Domain Admin with one password.
        func context() async throws -> Context {
            let dcs = [try await Fixture.shared.dc("contoso"), try await Fixture.shared.dc("fabrikam")]
            let server = try await Fixture.shared.tenant()
            let user = "aadmulti\(UUID().uuidString.prefix(6).lowercased())"
            let password = "Aa1." + Seeder.randomPassword()
            for dc in dcs {
                let c = try await dc.adminConnection()
                let dn = "CN=\(user),CN=Users,\(dc.baseDN)"
                try await c.add(dn, attributes: [
                    LDAPModification(.add, "objectClass", strings: ["user"]),
                    LDAPModification(.add, "sAMAccountName", strings: [user]),
                    LDAPModification(.add, "unicodePwd", values: [Seeder.utf16Quoted(password)]),
                    LDAPModification(.add, "userAccountControl", strings: ["512"]),
                ])
                try await c.modify("CN=Domain Admins,CN=Users,\(dc.baseDN)", [LDAPModification(.add, "member", strings: [dn])])
                try await Seeder.remove(dc, c)
                try await server.client().delete(domain: dc.domain)
            }
            return Context(dcs: dcs, server: server, user: user, password: password, caBundle: try DomainController.caBundle(dcs))
        }

        func cleanUp(_ ctx: Context) async throws {
            for dc in ctx.dcs {
                let c = try await dc.adminConnection()
                try await Seeder.remove(dc, c)
                try await c.delete("CN=\(ctx.user),CN=Users,\(dc.baseDN)")
                try await ctx.server.client().delete(domain: dc.domain)
            }
            try? FileManager.default.removeItem(atPath: ctx.caBundle)
        }

        @Test func setGetAndRemoveTwoDomainsInOneRun() async throws {
            let ctx = try await context()
            let tenantArgs = ctx.server.arguments()
            let stdin = ctx.password + "\n"

            let set = try await aadkerb(["set"] + ctx.arguments() + tenantArgs + ["-o", "json"], stdin: stdin)
            #expect(set.status == 0, "\(set.stderr)")
            let reports = try decodeOutputs(StepsOutput.self, set.stdout)
            #expect(reports.map(\.DomainDnsName) == ctx.dcs.map(\.domain))
            #expect(reports.allSatisfy { $0.Changed && $0.Command == "set" })

            let get = try await aadkerb(["get"] + ctx.arguments() + tenantArgs + ["-o", "json"], stdin: stdin)
            #expect(get.status == 0, "\(get.stderr)")
            let states = try decodeOutputs(GetOutput.self, get.stdout)
            #expect(states.map(\.SyncStatus) == ["InSync", "InSync"])
            #expect(states.map(\.DomainDnsName) == ctx.dcs.map(\.domain))
            // each domain's own DC answered for it (the Ids are assigned by two different DCs)
            for (state, dc) in zip(states, ctx.dcs) {
                #expect(state.UserAccount?.hasSuffix(dc.baseDN) == true)
                #expect(state.DomainController == dc.fqdn)
            }

            // The table names each domain.
            let table = try await aadkerb(["get"] + ctx.arguments() + tenantArgs, stdin: stdin)
            #expect(table.stdout.contains("== \(ctx.dcs[0].domain) =="))
            #expect(table.stdout.contains("== \(ctx.dcs[1].domain) =="))

            // fabrikam loses its cloud twin: the run says so for fabrikam only, and exits 5.
            _ = try await ctx.server.client().delete(domain: ctx.dcs[1].domain)
            let drift = try await aadkerb(["get"] + ctx.arguments() + tenantArgs + ["-o", "json"], stdin: stdin)
            #expect(drift.status == 5, "\(drift.stderr)")
            #expect(try decodeOutputs(GetOutput.self, drift.stdout).map(\.SyncStatus) == ["InSync", "MissingInCloud"])

            // set repairs only what is broken
            let repair = try await aadkerb(["set"] + ctx.arguments() + tenantArgs + ["-o", "json"], stdin: stdin)
            #expect(repair.status == 0, "\(repair.stderr)")
            let repaired = try decodeOutputs(StepsOutput.self, repair.stdout)
            #expect(repaired[0].Changed == false)
            #expect(repaired[1].Steps.map { "\($0.Side) \($0.Action)" } == ["Cloud Create"])

            let remove = try await aadkerb(["remove", "--yes"] + ctx.arguments() + tenantArgs + ["-o", "json"], stdin: stdin)
            #expect(remove.status == 0, "\(remove.stderr)")
            #expect(try decodeOutputs(StepsOutput.self, remove.stdout).allSatisfy { $0.Changed && $0.Command == "remove" })
            let gone = try await aadkerb(["get"] + ctx.arguments() + ["-o", "json"], stdin: stdin)
            #expect(gone.status == 3, "\(gone.stderr)")
            #expect(try decodeOutputs(GetOutput.self, gone.stdout).map(\.Status) == ["NotConfigured", "NotConfigured"])
            try await cleanUp(ctx)
        }

        @Test func oneUnreachableDomainDoesNotStopTheOthers() async throws {
            let ctx = try await context()
            let stdin = ctx.password + "\n"
            _ = try await aadkerb(["set"] + ctx.arguments() + ["-o", "json"], stdin: stdin)
            // fabrikam's DC "moves" to a port where nothing listens
            let servers = [ctx.dcs[0].uri, "ldaps://\(ctx.dcs[1].ip):1"]
            let get = try await aadkerb(["get"] + ctx.arguments(servers: servers) + ["-o", "json", "--connect-timeout", "3"], stdin: stdin)
            #expect(get.status == 12, "\(get.stdout)\n\(get.stderr)")
            let results = try outputElements(get.stdout)
            try #require(results.count == 2, "\(get.stdout)")
            let first = try decodeOutput(GetOutput.self, results[0])
            let second = try decodeOutput(DomainErrorOutput.self, results[1])
            #expect(first.Status == "Configured" && first.DomainDnsName == ctx.dcs[0].domain)
            #expect(second.Error == "unreachable")
            #expect(second.ExitCode == 12)
            #expect(second.DomainDnsName == ctx.dcs[1].domain)
            #expect(get.stderr.contains("aadkerb: error: \(ctx.dcs[1].domain):"))
            #expect(!get.stderr.contains(ctx.password) && !get.stdout.contains(ctx.password))
            try await cleanUp(ctx)
        }

        @Test func serversMustPairWithDomains() async throws {
            let r = try await aadkerb(["get", "--domain", "a.example", "--domain", "b.example", "--server", "ldaps://127.0.0.1"])
            #expect(r.status == 64)
            #expect(r.stderr.contains("one --server per --domain"))
            let twice = try await aadkerb(["get", "--domain", "a.example", "--domain", "A.example"])
            #expect(twice.status == 64)
            #expect(twice.stderr.contains("given twice"))
        }
    }
}
