import Foundation
import LDAPClient
import TenantAPI
import TenantClient
import Testing
import Basics

extension SharedServers {
    /// `aadkerb rotate` against northwind's DC (its own: one test stops it) and the tenant server. The invariant of
    /// docs/rotation.md is checked against the keys Samba holds, read from its database
    /// (scripts/oracle/samba-keys.py), by check value: the tenant never returns keys.
    @Suite struct RotateTests {
        struct Context {
            let dc: DomainController
            let server: TenantServerInstance
            var args: [String] { dc.connectionArguments + server.arguments() }
            var domainPath: String { "/v1/tenants/\(server.tenant)/kerberosDomains/\(dc.domain)" }
        }

        /// A fresh Kerberos server on both sides, made by `set` (which publishes the DC's key).
        func freshlySet(on dcName: String = "northwind") async throws -> Context {
            let ctx = Context(dc: try await Fixture.shared.dc(dcName), server: try await Fixture.shared.tenant())
            try await ctx.server.clearFaults()
            try await Seeder.remove(ctx.dc, try await ctx.dc.adminConnection())
            _ = try await ctx.server.client().delete(domain: ctx.dc.domain)
            let set = try await aadkerb(["set"] + ctx.args + ["-o", "json"])
            try #require(set.status == 0, "\(set.stdout)\n\(set.stderr)")
            try await ctx.dc.addUser(try await ctx.dc.adminConnection(), in: "CN=Users,\(ctx.dc.baseDN)", Self.probeUser)
            return ctx
        }

        struct SambaKeys { let kvno: Int64; let current: String; let previous: String?; let raw: [String] }

        /// The krbtgt_AzureAD keys Samba holds, as check values, and its kvno.
        func sambaKeys(_ ctx: Context) async throws -> SambaKeys {
            let entry = try #require(try await ctx.dc.adminConnection().read(
                "CN=krbtgt_AzureAD,CN=Users,\(ctx.dc.baseDN)", attributes: ["sAMAccountName", "msDS-KeyVersionNumber"]))
            let sam = try #require(entry.string("sAMAccountName"))
            let oracle = try await run(URL(fileURLWithPath: "/usr/bin/python3"),
                                 [Paths.packageRoot.path + "/scripts/oracle/samba-keys.py", ctx.dc.dir, sam])
            try #require(oracle.status == 0, "\(oracle.stderr)")
            let keys = try JSONDecoder().decode(SambaKeysOracle.self, from: Data(oracle.stdout.utf8))
            func check(_ hex: String) -> String { KeyEnvelope.checkValue(Secret(bytes: Hex.bytes(hex)!)) }
            let current = try #require(keys.keys.first)
            return SambaKeys(kvno: try #require(entry.integer("msDS-KeyVersionNumber")), current: check(current),
                             previous: keys.old_keys.first.map(check), raw: keys.keys + keys.old_keys)
        }

        func cloud(_ ctx: Context) async throws -> KerberosDomain {
            try #require(try await ctx.server.client().get(domain: ctx.dc.domain)).value
        }

        /// An ordinary user (Domain Users) that freshlySet makes, for the invariant measured with tickets.
        static let probeUser = "rotate-probe"

        /// docs/rotation.md's invariant, in keys and in tickets: the tenant's current key is the DC's
        /// current or previous key, and a partial TGT the tenant mints now is accepted by every DC
        /// that answers (aadkerb verify; a stopped DC is Unreachable).
        func expectInvariant(_ ctx: Context, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let samba = try await sambaKeys(ctx)
            let current = try await cloud(ctx).currentKey?.checkValue
            #expect(current != nil && [samba.current, samba.previous].contains(current), "tenant key is neither of the DC's keys",
                    sourceLocation: sourceLocation)
            var outcomes: [String] = []
            for _ in 0..<5 {  // a DC just restarted may need a moment before its KDC answers
                let verify = try await aadkerb(["verify"] + ctx.args + ["--sign-in", Self.probeUser, "-o", "json"])
                // a DC just restarted may not answer yet: then no report, and another try
                outcomes = (try? decodeOutput(VerifyOutput.self, verify.stdout))?.Results.map(\.Outcome) ?? []
                if outcomes.contains("Accepted") { break }
                try await Task.sleep(for: .seconds(1))
            }
            #expect(outcomes.contains("Accepted") && outcomes.allSatisfy { ["Accepted", "Unreachable"].contains($0) },
                    "a tenant-minted ticket is not accepted by every DC: \(outcomes)", sourceLocation: sourceLocation)
        }

        /// In sync: the tenant's current key is exactly the DC's current key, previous likewise.
        func expectInSync(_ ctx: Context, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let samba = try await sambaKeys(ctx)
            let twin = try await cloud(ctx)
            #expect(twin.currentKey?.checkValue == samba.current, sourceLocation: sourceLocation)
            #expect(twin.currentKey?.kvno == samba.kvno, sourceLocation: sourceLocation)
            #expect(twin.rotation == nil, sourceLocation: sourceLocation)
            let get = try await aadkerb(["get"] + ctx.args + ["-o", "json"])
            #expect(get.status == 0, "\(get.stdout)", sourceLocation: sourceLocation)
            #expect(try decodeOutput(GetOutput.self, get.stdout).SyncStatus == "InSync", sourceLocation: sourceLocation)
        }

        @Test func setPublishesTheKeyTheDCMade() async throws {
            let ctx = try await freshlySet()
            try await expectInSync(ctx)
            let get = try decodeOutput(GetOutput.self, try await aadkerb(["get"] + ctx.args + ["-o", "json"]).stdout)
            #expect(get.Kvno != nil && get.CloudKeyKvno == get.Kvno)
            #expect(get.Comparison?["Kvno"] == "Match")
        }

        @Test func refusedWithinTicketLifetimeSkippedWhenNotDueRotatedWithForce() async throws {
            let ctx = try await freshlySet()
            let start = try await sambaKeys(ctx)

            let refused = try await aadkerb(["rotate"] + ctx.args + ["-o", "json"])
            #expect(refused.status == 7, "\(refused.stdout)\n\(refused.stderr)")
            let refusal = try decodeOutput(RotateOutput.self, refused.stdout)
            #expect(refusal.Outcome == "Refused" && refusal.After == nil)
            #expect(refusal.Reason.contains("ticket lifetime"), "\(refusal.Reason)")

            let skipped = try await aadkerb(["rotate"] + ctx.args + ["--min-age", "30d", "-o", "json"])
            #expect(skipped.status == 6, "\(skipped.stdout)\n\(skipped.stderr)")
            #expect(try decodeOutput(RotateOutput.self, skipped.stdout).Outcome == "Skipped")

            let dry = try await aadkerb(["rotate", "--force", "--dry-run"] + ctx.args + ["-o", "json"])
            #expect(dry.status == 0, "\(dry.stderr)")
            let plan = try decodeOutput(RotateOutput.self, dry.stdout)
            #expect(plan.DryRun && plan.Outcome == "Rotated" && !plan.Steps.isEmpty, "\(dry.stdout)")
            #expect(try await sambaKeys(ctx).kvno == start.kvno)  // nothing refused, skipped or dry changed the DC
            #expect(try await sambaKeys(ctx).current == start.current)

            let rotated = try await aadkerb(["rotate", "--force"] + ctx.args + ["-o", "json"])
            #expect(rotated.status == 0, "\(rotated.stdout)\n\(rotated.stderr)")
            let report = try decodeOutput(RotateOutput.self, rotated.stdout)
            #expect(report.Outcome == "Rotated" && !report.DryRun)
            let after = try #require(report.After)
            #expect(report.Before.Kvno == Int(start.kvno))
            #expect(after.Kvno == Int(start.kvno) + 1)
            #expect(after.CloudKeyKvno == Int(start.kvno) + 1)
            let dcs = report.DomainControllers
            #expect(dcs.count == 1 && dcs.first?.Converged == true && dcs.first?.Trusted == true, "\(dcs)")

            let end = try await sambaKeys(ctx)
            #expect(end.kvno == start.kvno + 1)
            #expect(end.previous == start.current)  // the DC keeps the old key as previous...
            #expect(try await cloud(ctx).previousKey?.checkValue == start.current)  // ...and so does the tenant
            try await expectInSync(ctx)
            #expect(!rotated.stdout.contains(end.current) && !rotated.stderr.contains(end.current))
        }

        /// --kerberos, no password anywhere: rotate reads the DC's new key over DRSUAPI signed in with
        /// Kerberos from the credential cache, and the tenant gets exactly the key Samba holds.
        @Test func rotateWithKerberosPublishesTheKeyTheDCMade() async throws {
            let ctx = try await freshlySet()
            let start = try await sambaKeys(ctx)
            let rotated = try await ctx.dc.aadkerbWithKerberos(["rotate", "--force"] + ctx.dc.kerberosConnectionArguments + ctx.server.arguments() + ["-o", "json"],
                                                          tickets: .tgt)
            #expect(rotated.status == 0, "\(rotated.stdout)\n\(rotated.stderr)")
            #expect(try decodeOutput(RotateOutput.self, rotated.stdout).Outcome == "Rotated")
            let end = try await sambaKeys(ctx)
            #expect(end.kvno == start.kvno + 1)
            #expect(end.current != start.current)
            #expect(try await cloud(ctx).currentKey?.checkValue == end.current)
            #expect(try await cloud(ctx).previousKey?.checkValue == start.current)
            try await expectInSync(ctx)
        }

        /// set --kerberos --tenant on a domain with nothing: creates the objects and publishes the key the DC made.
        @Test func setWithKerberosPublishesTheKeyTheDCMade() async throws {
            let ctx = Context(dc: try await Fixture.shared.dc("northwind"), server: try await Fixture.shared.tenant())
            try await ctx.server.clearFaults()
            try await Seeder.remove(ctx.dc, try await ctx.dc.adminConnection())
            _ = try await ctx.server.client().delete(domain: ctx.dc.domain)
            let set = try await ctx.dc.aadkerbWithKerberos(["set"] + ctx.dc.kerberosConnectionArguments + ctx.server.arguments() + ["-o", "json"],
                                                      tickets: .tgt)
            #expect(set.status == 0, "\(set.stdout)\n\(set.stderr)")
            try await expectInSync(ctx)
        }

        /// A ticket for LDAP only (no TGT): LDAP binds, but DRSUAPI cannot get its ticket. An
        /// authentication failure (10) that says kinit, before anything changed on either side.
        @Test func rotateWithKerberosButNoTicketForTheDCIsAnAuthenticationFailureThatSaysKinit() async throws {
            let ctx = try await freshlySet()
            let start = try await sambaKeys(ctx)
            let result = try await ctx.dc.aadkerbWithKerberos(["rotate", "--force"] + ctx.dc.kerberosConnectionArguments + ctx.server.arguments(),
                                                         tickets: .ldapOnly)
            #expect(result.status == 10, "\(result.stdout)\n\(result.stderr)")
            #expect(result.stderr.contains("run kinit first"))
            #expect(result.stderr.contains("host@\(ctx.dc.fqdn)"))
            #expect(result.stderr.contains("Matching credential not found"))  // GSS's own words
            let end = try await sambaKeys(ctx)
            #expect(end.kvno == start.kvno && end.current == start.current)
            try await expectInSync(ctx)

            // No ticket at all: LDAP says so first, with the same exit code.
            let none = try await ctx.dc.aadkerbWithKerberos(["rotate", "--force"] + ctx.dc.kerberosConnectionArguments + ctx.server.arguments(),
                                                       tickets: .none)
            #expect(none.status == 10, "\(none.stdout)\n\(none.stderr)")
            #expect(none.stderr.contains("kinit"))
            #expect(try await sambaKeys(ctx).kvno == start.kvno)
        }

        /// The publish fails three ways (503 beyond the retries, the connection dropped, no answer
        /// within --tenant-timeout): the tenant keeps the DC's previous key, get says so, a re-run
        /// completes. A timed-out write may still land later (the server finishes it): then the
        /// tenant is simply in sync, and the invariant held throughout.
        @Test(arguments: [
            ("503", ["status": 503] as [String: any Sendable], 17, [String]()),
            ("dropped connection", ["drop": true], 12, []),
            ("timeout", ["delayMs": 4000], 15, ["--tenant-timeout", "1"]),
        ])
        func aFailedPublishLeavesAValidTenantAndAReRunCompletesWithoutAThirdKey(
            fault: String, rule: [String: any Sendable], exit: Int32, extra: [String]
        ) async throws {
            let ctx = try await freshlySet()
            let start = try await sambaKeys(ctx)
            // The lease write gets through; the publish fails.
            var injected: [String: Any] = ["method": "PUT", "pathPrefix": ctx.domainPath, "skip": 1, "times": 10]
            for (k, v) in rule { injected[k] = v }
            try await ctx.server.inject(injected)
            let failed = try await aadkerb(["rotate", "--force", "--lease", "1s"] + ctx.args + ["--tenant-retries", "1"] + extra)
            try await ctx.server.clearFaults()
            #expect(failed.status == exit, "\(fault): \(failed.stdout)\n\(failed.stderr)")
            #expect(try await sambaKeys(ctx).kvno == start.kvno + 1)  // the DC has the new key
            try await expectInvariant(ctx)                             // the tenant's is its previous
            if fault == "timeout" {
                try await Task.sleep(for: .seconds(6))  // the delayed writes land
                try await expectInvariant(ctx)
                try await expectInSync(ctx)
                #expect(try await sambaKeys(ctx).kvno == start.kvno + 1)
                return
            }

            // get tells the truth: drifted, and a rotation unfinished
            let get = try await aadkerb(["get"] + ctx.args + ["-o", "json"])
            #expect(get.status == 4, "\(get.stdout)")
            let state = try decodeOutput(GetOutput.self, get.stdout)
            #expect(state.SyncStatus == "Drifted")
            #expect(state.CloudRotation?.FromKvno == Int(start.kvno))
            #expect(try await aadkerb(["get"] + ctx.args).stdout.contains("A rotation is unfinished"))

            // the lease (1 s) has expired: a plain re-run, no --force, completes it
            try await Task.sleep(for: .seconds(1.5))
            let rerun = try await aadkerb(["rotate"] + ctx.args + ["-o", "json"])
            #expect(rerun.status == 0, "\(rerun.stdout)\n\(rerun.stderr)")
            #expect(try decodeOutput(RotateOutput.self, rerun.stdout).Outcome == "Completed")
            #expect(try await sambaKeys(ctx).kvno == start.kvno + 1)  // no third key
            try await expectInSync(ctx)
        }

        @Test func anUnexpiredLeaseKeepsOtherRunsOffUntilBroken() async throws {
            let ctx = try await freshlySet()
            try await ctx.server.inject(["method": "PUT", "pathPrefix": ctx.domainPath, "skip": 1, "times": 10, "status": 503])
            _ = try await aadkerb(["rotate", "--force"] + ctx.args + ["--tenant-retries", "0"])  // leaves a 15-minute lease
            try await ctx.server.clearFaults()
            let kept = try await aadkerb(["rotate", "--force"] + ctx.args + ["-o", "json"])
            #expect(kept.status == 7, "\(kept.stdout)\n\(kept.stderr)")
            let refusal = try decodeOutput(RotateOutput.self, kept.stdout)
            #expect(refusal.Outcome == "Refused" && refusal.Reason.contains("holds the lease"), "\(kept.stdout)")
            try await expectInvariant(ctx)
            // `set` repairs at once: it publishes the DC's current key and clears the lease
            let set = try await aadkerb(["set"] + ctx.args + ["-o", "json"])
            #expect(set.status == 0, "\(set.stderr)")
            try await expectInSync(ctx)
        }

        @Test func killedAtEachTenantWriteAReRunConverges() async throws {
            for (step, skip) in [("lease", 0), ("publish", 1)] {
                let ctx = try await freshlySet()
                try await ctx.server.inject(["method": "PUT", "pathPrefix": ctx.domainPath, "skip": skip, "times": 1, "delayMs": 3000])
                let child = try await spawn(Paths.aadkerb, ["rotate", "--force"] + ctx.args)
                try await Task.sleep(for: .seconds(1.5))
                child.kill(SIGKILL)
                #expect(try await child.wait().status == 128 + SIGKILL, "killed during the \(step) write")
                try await Task.sleep(for: .seconds(2.5))  // the delayed write lands (or not) meanwhile
                try await ctx.server.clearFaults()
                try await expectInvariant(ctx)
                let rerun = try await aadkerb(["rotate", "--force", "--break-lease"] + ctx.args + ["-o", "json"])
                #expect(rerun.status == 0, "after a kill during the \(step) write: \(rerun.stdout)\n\(rerun.stderr)")
                #expect(["Rotated", "Completed"].contains(try decodeOutput(RotateOutput.self, rerun.stdout).Outcome))
                try await expectInSync(ctx)
            }
        }

        @Test func concurrentRunsMakeExactlyOneRotation() async throws {
            let ctx = try await freshlySet()
            let start = try await sambaKeys(ctx)
            // Hold the first run's publish for 3 s so the second surely runs while it is at work.
            try await ctx.server.inject(["method": "PUT", "pathPrefix": ctx.domainPath, "skip": 1, "times": 1, "delayMs": 3000])
            let first = try await spawn(Paths.aadkerb, ["rotate", "--force"] + ctx.args + ["-o", "json"])
            try await Task.sleep(for: .seconds(1))
            let second = try await aadkerb(["rotate", "--force"] + ctx.args + ["-o", "json"])
            let firstResult = try await first.wait()
            try await ctx.server.clearFaults()
            #expect(firstResult.status == 0, "\(firstResult.stdout)\n\(firstResult.stderr)")
            #expect(second.status == 7, "\(second.stdout)\n\(second.stderr)")
            #expect(try await sambaKeys(ctx).kvno == start.kvno + 1)
            try await expectInSync(ctx)
        }

        @Test func theDCStoppedMidRotationLeavesAValidTenant() async throws {
            let ctx = try await freshlySet()
            let start = try await sambaKeys(ctx)
            // Stop the DC while the lease write is held (stopping takes ~3 s): the reset cannot happen.
            try await ctx.server.inject(["method": "PUT", "pathPrefix": ctx.domainPath, "skip": 0, "times": 1, "delayMs": 6000])
            let child = try await spawn(Paths.aadkerb, ["rotate", "--force", "--lease", "1s"] + ctx.args + ["--timeout", "5", "--connect-timeout", "3"])
            try await Task.sleep(for: .seconds(0.7))
            let stop = try await run(Paths.sambaDC, ["stop", ctx.dc.name])
            try #require(stop.status == 0, "\(stop.stderr)")
            let result = try await child.wait()
            _ = try await run(Paths.sambaDC, ["start", ctx.dc.name])
            try await ctx.server.clearFaults()
            #expect([12, 15, 1].contains(result.status), "\(result.stdout)\n\(result.stderr)")
            #expect(try await sambaKeys(ctx).kvno == start.kvno)
            try await expectInvariant(ctx)
            try await Task.sleep(for: .seconds(1.2))  // the 1 s lease expires
            let rerun = try await aadkerb(["rotate", "--force"] + ctx.args + ["-o", "json"])
            #expect(rerun.status == 0, "\(rerun.stdout)\n\(rerun.stderr)")
            try await expectInSync(ctx)
        }

        /// Two DCs of one domain (westwind and westwind2, replicating): rotate waits until both
        /// hold the new key and reports each; `get --all-dcs` shows it; the key replicated to the
        /// second DC is the key the tenant holds.
        @Test func rotationConvergesOnBothDCsOfTheDomain() async throws {
            let second = try await Fixture.shared.dc("westwind2")
            let ctx = try await freshlySet(on: "westwind")
            // one CA bundle for both DCs (each fixture DC has its own CA), as a corporate CA would be
            let bundle = try DomainController.caBundle([ctx.dc, second])
            defer { try? FileManager.default.removeItem(atPath: bundle) }
            let args = ["--domain", ctx.dc.domain, "--server", ctx.dc.uri, "--ca-file", bundle, "--user", "Administrator",
                        "--password-file", ctx.dc.passwordFile] + ctx.server.arguments()

            // wait until the second DC has the objects `set` just made (same krbtgt objectGUID)
            let krbtgt = "CN=krbtgt_AzureAD,CN=Users,\(ctx.dc.baseDN)"
            let guid = try await ctx.dc.adminConnection().read(krbtgt, attributes: ["objectGUID"])?.bytes("objectGUID")
            var replicated = false
            for _ in 0..<60 where !replicated {
                replicated = try await second.adminConnection().read(krbtgt, attributes: ["objectGUID"])?.bytes("objectGUID") == guid
                if !replicated { try await Task.sleep(for: .seconds(1)) }
            }
            try #require(replicated, "westwind2 never received the objects set made on westwind")

            // DNS (Samba's own) names westwind only; the directory names both: rotate waits for both
            let rotated = try await aadkerb(["rotate", "--force", "--wait", "90s", "--dns-server", ctx.dc.ip] + args + ["-o", "json"])
            #expect(rotated.status == 0, "\(rotated.stdout)\n\(rotated.stderr)")
            let report = try decodeOutput(RotateOutput.self, rotated.stdout)
            let after = try #require(report.After?.Kvno)
            let dcs = report.DomainControllers
            #expect(Set(dcs.map(\.Name)) == [ctx.dc.fqdn, second.fqdn], "\(dcs)")
            for dc in dcs {
                #expect(dc.Converged && dc.Trusted && dc.Kvno == after && dc.Error == nil, "\(dc)")
            }

            let all = try await aadkerb(["get", "--all-dcs"] + args + ["-o", "json"])
            #expect(all.status == 0, "\(all.stdout)\n\(all.stderr)")
            let listed = try #require(try decodeOutput(GetOutput.self, all.stdout).DomainControllers)
            #expect(listed.count == 2 && listed.allSatisfy { $0.Kvno == after }, "\(listed)")

            // read through the second DC, the key was written by the first: named from its server object
            let viaSecond = try await aadkerb(["get", "--domain", ctx.dc.domain, "--server", second.uri, "--ca-file", bundle,
                                         "--user", "Administrator", "--password-file", ctx.dc.passwordFile, "-o", "json"])
            let seen = try decodeOutput(GetOutput.self, viaSecond.stdout)
            #expect(seen.DomainController == second.fqdn, "\(viaSecond.stdout)\n\(viaSecond.stderr)")
            #expect(seen.KeyUpdatedFrom == ctx.dc.fqdn, "\(viaSecond.stdout)")

            // the key on the second DC (read from its own database) is the tenant's current key
            let onSecond = try await sambaKeys(Context(dc: second, server: ctx.server))
            #expect(onSecond.current == (try await cloud(ctx)).currentKey?.checkValue)

            // with the second DC stopped, get --all-dcs says which DC could not be asked (exit 4)
            _ = try await run(Paths.sambaDC, ["stop", second.name])
            let partial = try await aadkerb(["get", "--all-dcs", "--connect-timeout", "3"] + args + ["-o", "json"])
            _ = try await run(Paths.sambaDC, ["start", second.name])
            #expect(partial.status == 4, "\(partial.stdout)")
            let states = try #require(try decodeOutput(GetOutput.self, partial.stdout).DomainControllers)
            #expect(states.first { $0.Name == second.fqdn }?.Error != nil, "\(states)")
        }

        /// The trace of a rotation (-vv and --log-file) holds the requests, never a secret: not the
        /// keys Samba holds (hex or base64), not the admin password, not the client secret.
        @Test func theTraceOfARotationHoldsNoSecret() async throws {
            let ctx = try await freshlySet()
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("aadkerb-trace-\(UUID().uuidString).log").path
            let rotated = try await aadkerb(["rotate", "--force", "-vv", "--log-file", log] + ctx.args)
            #expect(rotated.status == 0, "\(rotated.stderr)")
            let trace = try String(contentsOfFile: log, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: log) }
            let mode = try FileManager.default.attributesOfItem(atPath: log)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            // it did trace the work...
            for expected in ["\"message\":\"read keys\"", "client-request-id", "\"message\":\"modify\"", "unicodePwd", "\"run\":"] {
                #expect(trace.contains(expected), "trace lacks \(expected)")
            }
            // ...and no secret
            let keys = try await sambaKeys(ctx).raw
            #expect(keys.count == 2)
            var secrets = keys + keys.map { hex in
                Data(Hex.bytes(hex)!).base64EncodedString()
            }
            secrets.append(try String(contentsOfFile: ctx.dc.passwordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
            secrets.append(try String(contentsOfFile: ctx.server.adminSecretFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
            for secret in secrets {
                #expect(!trace.contains(secret) && !rotated.stderr.contains(secret), "a secret is in the trace")
            }
        }

        @Test func usageAndPermissionFailuresAreClear() async throws {
            let ctx = try await freshlySet()
            let noTenant = try await aadkerb(["rotate"] + ctx.dc.connectionArguments)
            #expect(noTenant.status == 64)
            #expect(noTenant.stderr.contains("--tenant"))
            // (--kerberos is no usage error any more: rotateWithKerberos... and setWithKerberos... cover it.)
            #expect(try await aadkerb(["rotate", "--min-age", "soon"] + ctx.args).status == 64)

            // An ordinary account may read the objects but not the DC's keys: exit 11, naming the object.
            let c = try await ctx.dc.adminConnection()
            let user = "plain\(UUID().uuidString.prefix(6).lowercased())"
            let password = "Aa1." + Seeder.randomPassword()
            try await c.add("CN=\(user),CN=Users,\(ctx.dc.baseDN)", attributes: [
                LDAPModification(.add, "objectClass", strings: ["user"]),
                LDAPModification(.add, "sAMAccountName", strings: [user]),
                LDAPModification(.add, "unicodePwd", values: [Seeder.utf16Quoted(password)]),
                LDAPModification(.add, "userAccountControl", strings: ["512"]),
            ])
            let denied = try await aadkerb(["rotate", "--force", "--domain", ctx.dc.domain, "--server", ctx.dc.uri, "--ca-file", ctx.dc.caFile,
                                      "--user", user, "--password-stdin"] + ctx.server.arguments(), stdin: password + "\n")
            try await c.delete("CN=\(user),CN=Users,\(ctx.dc.baseDN)")
            #expect(denied.status == 11, "\(denied.stderr)")
            #expect(denied.stderr.contains("WERR_DS_DRA_ACCESS_DENIED"))
            #expect(denied.stderr.contains("CN=krbtgt_AzureAD,CN=Users,\(ctx.dc.baseDN)"))
            #expect(!denied.stderr.contains(password))
            try await expectInSync(ctx)  // nothing changed
        }
    }
}
