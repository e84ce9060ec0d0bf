import Foundation
import LDAPClient
import Testing

extension SharedServers {
    /// `aadkerb verify` against westwind's two DCs: the partial TGT minted by the tenant (and, with
    /// --local-ticket, here from the DC's key) is exchanged at each DC; Samba's answers become
    /// outcomes (partial-tgt-facts.md).
    @Suite struct VerifyTests {
        @Test func tenantMintedTicketsAreAcceptedDeniedAndExplainedAtBothDCs() async throws {
            let second = try await Fixture.shared.dc("westwind2")
            let ctx = try await RotateTests().freshlySet(on: "westwind")
            let bundle = try DomainController.caBundle([ctx.dc, second])
            defer { try? FileManager.default.removeItem(atPath: bundle) }
            let c = try await ctx.dc.adminConnection()
            let ou = try await ctx.dc.scratchOU(c)
            defer { Task { try? await c.delete(ou, controls: [.treeDelete]) } }
            let tag = UUID().uuidString.prefix(6).lowercased()
            let (alice, off) = ("alice-\(tag)", "off-\(tag)")
            try await ctx.dc.addUser(c, in: ou, alice)
            try await ctx.dc.addUser(c, in: ou, off, enabled: false)
            // the second DC must hold the Kerberos objects and the users before it can answer
            let krbtgt = "CN=krbtgt_AzureAD,CN=Users,\(ctx.dc.baseDN)"
            try #require(try await RotateTests().waitForReplication(of: krbtgt, attribute: "objectGUID", from: ctx.dc, to: second))
            try #require(try await RotateTests().waitForReplication(of: "CN=\(off),\(ou)", attribute: "objectSid", from: ctx.dc, to: second))
            let args = ["--domain", ctx.dc.domain, "--server", ctx.dc.uri, "--ca-file", bundle, "--user", "Administrator",
                        "--password-file", ctx.dc.passwordFile] + ctx.server.arguments()

            let all = try await aadkerb(["verify"] + args + ["--sign-in", alice, "--sign-in", "Administrator", "--sign-in", off,
                                                       "--sign-in", "nobody-\(tag)", "-o", "json"])
            #expect(all.status == 19, "\(all.stdout)\n\(all.stderr)")
            let report = try decodeOutput(VerifyOutput.self, all.stdout)
            #expect(report.TicketSource == "Tenant" && report.CloudKeyTested && report.Note == nil)
            let results = report.Results
            func outcomes(_ user: String) -> [String: String] {
                Dictionary(uniqueKeysWithValues: results.filter { $0.User == user }.map { ($0.DomainController, $0.Outcome) })
            }
            let both = [ctx.dc.fqdn, second.fqdn]
            #expect(outcomes(alice) == Dictionary(uniqueKeysWithValues: both.map { ($0, "Accepted") }), "\(results)")
            #expect(outcomes("Administrator") == Dictionary(uniqueKeysWithValues: both.map { ($0, "DeniedByPolicy") }), "\(results)")
            #expect(outcomes(off) == Dictionary(uniqueKeysWithValues: both.map { ($0, "UserDisabled") }), "\(results)")
            #expect(outcomes("nobody-\(tag)").values.allSatisfy { $0 == "UserUnknown" } && outcomes("nobody-\(tag)").count == 2, "\(results)")
            let denied = try #require(results.first { $0.User == "Administrator" })
            #expect(denied.DeniedBy.contains("Domain Admins") || denied.DeniedBy.contains("Administrators"), "\(denied)")
            // the full TGT is the domain krbtgt's (kvno 1 on a fresh domain, not the RODC's)
            let accepted = try #require(results.first { $0.User == alice })
            #expect(accepted.IssuedKvno.map { $0 < 0x10000 } == true && accepted.DeniedBy.isEmpty, "\(accepted)")
            // Samba 4.17 has no KERB-KEY-LIST-REQ
            let keyList = report.KeyList
            #expect(Set(keyList.map(\.DomainController)) == Set(both) && keyList.allSatisfy { $0.Supported == false }, "\(keyList)")

            // only users who should get in: exit 0; the table says the cloud's key was tested
            let ok = try await aadkerb(["verify"] + args + ["--sign-in", alice])
            #expect(ok.status == 0, "\(ok.stdout)\n\(ok.stderr)")
            #expect(ok.stdout.contains("\(alice) @ \(second.fqdn): Accepted") && ok.stdout.contains("its copy of the key is tested"), "\(ok.stdout)")
            // minted here from the DC's key: also accepted, and said not to test the cloud
            let local = try await aadkerb(["verify", "--local-ticket"] + args + ["--sign-in", alice, "-o", "json"])
            #expect(local.status == 0, "\(local.stdout)\n\(local.stderr)")
            let localReport = try decodeOutput(VerifyOutput.self, local.stdout)
            #expect(localReport.TicketSource == "Local" && !localReport.CloudKeyTested)
            // a client without the ticket role cannot have tickets minted: 403, exit 11
            let reader = try await aadkerb(["verify"] + ctx.dc.connectionArguments + ctx.server.arguments(client: "reader") + ["--sign-in", alice])
            #expect(reader.status == 11, "\(reader.stdout)\n\(reader.stderr)")
            #expect(reader.stderr.contains("KerberosTicket.Issue.All"), "\(reader.stderr)")
        }

        /// Password resets behind aadkerb's back until the DC no longer holds the tenant's key: verify
        /// says the DCs reject the cloud's ticket. Measured: after two resets Samba 4.17 still accepts
        /// it (supplementalCredentials keeps an "older" key besides the previous one); after three,
        /// KRB_AP_ERR_BADKEYVER.
        @Test func resetsBehindAadkerbsBackAreReportedAsRejected() async throws {
            let ctx = try await RotateTests().freshlySet(on: "northwind")
            let c = try await ctx.dc.adminConnection()
            let krbtgt = "CN=krbtgt_AzureAD,CN=Users,\(ctx.dc.baseDN)"
            for _ in 0..<3 {
                try await c.modify(krbtgt, [LDAPModification(.replace, "unicodePwd", values: [Seeder.utf16Quoted(Seeder.randomPassword())])])
            }
            let result = try await aadkerb(["verify"] + ctx.args + ["--sign-in", "Guest", "--sign-in", "Administrator", "-o", "json"])
            #expect(result.status == 19, "\(result.stdout)\n\(result.stderr)")
            let outcomes = Set(try decodeOutput(VerifyOutput.self, result.stdout).Results.map(\.Outcome))
            #expect(outcomes == ["KeyVersionNotHeld"], "\(result.stdout)")
            // the same tickets minted from the DC's own key are fine as far as the key goes
            let local = try await aadkerb(["verify", "--local-ticket"] + ctx.args + ["--sign-in", "Administrator", "-o", "json"])
            let localOutcomes = try decodeOutput(VerifyOutput.self, local.stdout).Results.map(\.Outcome)
            #expect(!localOutcomes.isEmpty && localOutcomes.allSatisfy { $0 == "DeniedByPolicy" }, "\(local.stdout)")
        }

        @Test func usage() async throws {
            let none = try await aadkerb(["verify", "--domain", "contoso.corp.com"])
            #expect(none.status == 64 && none.stderr.contains("--sign-in"), "\(none.stderr)")
        }
    }
}
