import AADKerbCore
import CKrb5
import Foundation
import LDAPClient
import Basics
import TenantAPI
import Testing
import Tickets

extension SharedServers {
    /// The sign-in proof measured with tickets and with clients aadkerb did not write: MIT's own
    /// `kvno`, tickets kept across a rotation, and reveal-policy changes as the DC sees them.
    @Suite struct SignInProofTests {
        /// The tenant's partial TGT for `user`, as aadkerb verify reads it.
        func tenantTicket(_ ctx: RotateTests.Context, _ user: String) async throws -> PartialTGT {
            let entry = try #require(try await ctx.dc.adminConnection().search(
                base: ctx.dc.baseDN, filter: .equal("sAMAccountName", user), attributes: ["objectSid"]).first)
            let sid = try #require(entry.bytes("objectSid").flatMap(formatSID))
            let answer = try await ctx.server.client().partialTicket(domain: ctx.dc.domain, for: PartialTicketRequest(
                onPremisesSamAccountName: user, onPremisesSecurityIdentifier: sid))
            return try PartialTGT(messageBuffer: Array(try #require(Data(base64Encoded: answer.tgt_message_buffer))),
                                  clientKey: Secret(bytes: Array(try #require(Data(base64Encoded: answer.tgt_client_key)))),
                                  userSID: try SecurityIdentifier(sid))
        }

        /// A ticket the tenant minted, in a credential cache FILE of a 0700 directory (here only:
        /// aadkerb writes none), used by MIT's `kvno` for a service of the DC.
        @Test func mitKvnoAcceptsATenantMintedTicket() async throws {
            let ctx = try await RotateTests().freshlySet(on: "northwind")
            let c = try await ctx.dc.adminConnection()
            try await ctx.dc.addUser(c, in: "CN=Users,\(ctx.dc.baseDN)", "kvno-alice")
            let tgt = try await tenantTicket(ctx, "kvno-alice")
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("aadkerb-ccache-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            defer { try? FileManager.default.removeItem(at: dir) }
            let cache = "FILE:" + dir.appendingPathComponent("ccache").path
            var context: krb5_context?
            try #require(ckrb5_init(&context) == 0)
            defer { krb5_free_context(context) }
            let seconds = { (d: Date) in krb5_timestamp(truncatingIfNeeded: Int64(d.timeIntervalSince1970)) }
            let code = tgt.sessionKey.withUnsafeBytes { k in
                tgt.ticket.withUnsafeBytes { t in
                    ckrb5_store_tgt(context, cache, tgt.realm, tgt.client.components[0], 18, k.baseAddress, k.count, t.baseAddress, t.count,
                                    seconds(tgt.authTime), seconds(tgt.startTime), seconds(tgt.endTime), seconds(tgt.renewTill),
                                    krb5_flags(bitPattern: tgt.flags))
                }
            }
            try #require(code == 0)
            let service = "ldap/\(ctx.dc.fqdn)@\(ctx.dc.realm)"
            let kvno = try await run(URL(fileURLWithPath: "/usr/bin/kvno"), ["-c", cache, service], environment: ["KRB5_CONFIG": ctx.dc.dir + "/krb5.conf"])
            #expect(kvno.status == 0, "kvno: \(kvno.stderr)")
            #expect(kvno.stdout.contains("\(service): kvno = "), "\(kvno.stdout)")
            let klist = try await run(URL(fileURLWithPath: "/usr/bin/klist"), ["-c", cache], environment: ["KRB5_CONFIG": ctx.dc.dir + "/krb5.conf"])
            #expect(klist.stdout.contains(service) && klist.stdout.contains("krbtgt/\(ctx.dc.realm)@\(ctx.dc.realm)"), "\(klist.stdout)")
        }

        /// After `rotate`, a ticket the tenant minted before (previous key) and one it mints after
        /// (new key) are both accepted at both DCs of westwind.
        @Test func afterARotationTicketsUnderTheNewAndThePreviousKeyAreAcceptedAtBothDCs() async throws {
            let second = try await Fixture.shared.dc("westwind2")
            let ctx = try await RotateTests().freshlySet(on: "westwind")
            let bundle = try DomainController.caBundle([ctx.dc, second])
            defer { try? FileManager.default.removeItem(atPath: bundle) }
            let c = try await ctx.dc.adminConnection()
            try await ctx.dc.addUser(c, in: "CN=Users,\(ctx.dc.baseDN)", "rot-alice")
            try #require(try await RotateTests().waitForReplication(of: "CN=krbtgt_AzureAD,CN=Users,\(ctx.dc.baseDN)", attribute: "objectGUID",
                                                                    from: ctx.dc, to: second))
            try #require(try await RotateTests().waitForReplication(of: "CN=rot-alice,CN=Users,\(ctx.dc.baseDN)", attribute: "objectSid",
                                                                    from: ctx.dc, to: second))
            let before = try await tenantTicket(ctx, "rot-alice")
            let args = ["--domain", ctx.dc.domain, "--server", ctx.dc.uri, "--ca-file", bundle, "--user", "Administrator",
                        "--password-file", ctx.dc.passwordFile] + ctx.server.arguments()
            let rotated = try await aadkerb(["rotate", "--force", "--wait", "90s"] + args + ["-o", "json"])
            try #require(rotated.status == 0, "\(rotated.stdout)\n\(rotated.stderr)")
            let after = try await tenantTicket(ctx, "rot-alice")
            #expect(after.keyVersion == before.keyVersion + 1 && after.rodcNumber == before.rodcNumber)
            for dc in [ctx.dc, second] {
                let kdc = try TicketExchange(kdc: dc.ip)
                for (which, tgt) in [("previous", before), ("new", after)] {
                    let outcome = try kdc.exchange(tgt, for: .krbtgt(realm: dc.realm))
                    guard case .issued = outcome else { Issue.record("\(dc.name), \(which) key: \(outcome)"); continue }
                    let service = try kdc.exchange(tgt, for: PrincipalName("ldap/\(dc.fqdn)"))
                    guard case .issued = service else { Issue.record("\(dc.name), \(which) key, ldap/: \(service)"); continue }
                }
            }
        }

        /// Reveal-policy changes as the DC applies them: Domain Users taken off the allowed list,
        /// then the user put on the denied list; `verify` names why, `policy reset` restores.
        @Test func policyChangesAreSeenByTheDC() async throws {
            let ctx = try await RotateTests().freshlySet(on: "northwind")
            let c = try await ctx.dc.adminConnection()
            let user = "pol-alice"
            try await ctx.dc.addUser(c, in: "CN=Users,\(ctx.dc.baseDN)", user)
            let computer = "CN=AzureADKerberos,OU=Domain Controllers,\(ctx.dc.baseDN)"
            func verify() async throws -> (Int32, VerifyOutput.Result) {
                let r = try await aadkerb(["verify"] + ctx.args + ["--sign-in", user, "-o", "json"])
                let results = try decodeOutput(VerifyOutput.self, r.stdout).Results
                return (r.status, try #require(results.first, "\(r.stdout)\n\(r.stderr)"))
            }
            var (status, result) = try await verify()
            #expect(status == 0 && result.Outcome == "Accepted" && result.User == user, "\(result)")

            // Domain Users (the allowed group) removed from msDS-RevealOnDemandGroup
            let allowed = try #require(try await c.read(computer, attributes: ["msDS-RevealOnDemandGroup"])?.values("msDS-RevealOnDemandGroup"))
            try await c.modify(computer, [LDAPModification(.delete, "msDS-RevealOnDemandGroup", values: allowed)])
            (status, result) = try await verify()
            #expect(status == 19 && result.Outcome == "DeniedByPolicy", "\(result)")
            #expect(result.DeniedBy.first?.contains("not in the allowed list") == true, "\(result)")

            // allowed again, but the user on msDS-NeverRevealGroup
            _ = try await aadkerb(["policy", "reset"] + ctx.dc.connectionArguments)
            try await c.modify(computer, [LDAPModification(.add, "msDS-NeverRevealGroup", strings: ["CN=\(user),CN=Users,\(ctx.dc.baseDN)"])])
            (status, result) = try await verify()
            #expect(status == 19 && result.Outcome == "DeniedByPolicy", "\(result)")
            #expect(result.DeniedBy.contains(user), "\(result)")

            let reset = try await aadkerb(["policy", "reset"] + ctx.dc.connectionArguments)
            #expect(reset.status == 0, "\(reset.stderr)")
            (status, result) = try await verify()
            #expect(status == 0 && result.Outcome == "Accepted", "\(result)")

            // doctor --sign-in runs the same check
            let doctor = try await aadkerb(["doctor"] + ctx.args + ["--sign-in", user, "--sign-in", "Administrator", "-o", "json"])
            let checks = try decodeOutput(DoctorOutput.self, doctor.stdout).Checks
            let signIn = try #require(checks.first { $0.Name == "sign-in" }, "\(checks)")
            #expect(signIn.Status == "Fail" && signIn.Detail.contains("Administrator @ "), "\(signIn)")
            #expect(signIn.Fix?.contains("privileged") == true, "\(signIn)")
            #expect(doctor.status == 9, "\(doctor.stdout)")
            let fine = try await aadkerb(["doctor"] + ctx.args + ["--sign-in", user, "-o", "json"])
            let fineCheck = try #require(try decodeOutput(DoctorOutput.self, fine.stdout).Checks.first { $0.Name == "sign-in" }, "\(fine.stdout)")
            #expect(fineCheck.Status == "Pass", "\(fineCheck)")
        }
    }
}
