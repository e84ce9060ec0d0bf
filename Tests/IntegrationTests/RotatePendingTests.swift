import Foundation
import LDAPClient
import Testing

extension SharedServers.RotateTests {
    /// Waits until `second` holds `attribute`'s value of `dn` as `first` has it (replication).
    func waitForReplication(of dn: String, attribute: String, from first: DomainController, to second: DomainController,
                            seconds: Int = 90) async throws -> Bool {
        let wanted = try await first.adminConnection().read(dn, attributes: [attribute])?.bytes(attribute)
        for _ in 0..<seconds {
            if let c = try? await second.adminConnection(), try await c.read(dn, attributes: [attribute])?.bytes(attribute) == wanted {
                return true
            }
            try await Task.sleep(for: .seconds(1))
        }
        return false
    }

    /// westwind freshly set, with its Kerberos objects and the probe user replicated to westwind2,
    /// and the arguments that reach both DCs (one CA bundle for both, as a corporate CA would be)
    /// and the cloud. The caller removes `bundle`.
    func bothWestwindDCs(extra: [String] = []) async throws -> (ctx: Context, second: DomainController, args: [String], bundle: String) {
        let second = try await Fixture.shared.dc("westwind2")
        let ctx = try await freshlySet(on: "westwind")
        let bundle = try DomainController.caBundle([ctx.dc, second])
        let args = ["--domain", ctx.dc.domain, "--server", ctx.dc.uri, "--ca-file", bundle, "--user", "Administrator",
                    "--password-file", ctx.dc.passwordFile] + extra + ctx.server.arguments()
        try #require(try await waitForReplication(of: "CN=krbtgt_AzureAD,CN=Users,\(ctx.dc.baseDN)", attribute: "objectGUID", from: ctx.dc, to: second),
                     "westwind2 never received the objects set made on westwind")
        try #require(try await waitForReplication(of: "CN=\(Self.probeUser),CN=Users,\(ctx.dc.baseDN)", attribute: "objectSid",
                                                  from: ctx.dc, to: second))
        return (ctx, second, args, bundle)
    }

    /// issue: rotate never publishes a key a writable DC lacks. With westwind2 down, rotate makes
    /// the new key on westwind but does not publish it: exit 18 (pending), naming westwind2, the
    /// tenant keeping the key both DCs hold. A re-run while it is down stays pending and makes no
    /// third key; once westwind2 is back and has replicated, a re-run publishes.
    @Test func aLaggingDCKeepsTheNewKeyUnpublishedUntilItHasReplicated() async throws {
        let (ctx, second, args, bundle) = try await bothWestwindDCs(extra: ["--connect-timeout", "2"])
        defer { try? FileManager.default.removeItem(atPath: bundle) }
        let krbtgt = "CN=krbtgt_AzureAD,CN=Users,\(ctx.dc.baseDN)"
        let start = try await sambaKeys(ctx)
        let cloudBefore = try await cloud(ctx).currentKey

        let stop = try await run(Paths.sambaDC, ["stop", second.name])
        try #require(stop.status == 0, "\(stop.stderr)")
        var restarted = false
        // only when the test failed midway (a defer cannot wait: the restart runs on its own)
        defer { if !restarted { Task { _ = try? await run(Paths.sambaDC, ["start", second.name]) } } }

        let pending = try await aadkerb(["rotate", "--force", "--wait", "6s", "-v"] + args + ["-o", "json"])
        #expect(pending.status == 18, "\(pending.stdout)\n\(pending.stderr)")
        let report = try decodeOutput(RotateOutput.self, pending.stdout)
        #expect(report.Outcome == "Pending", "\(pending.stdout)")
        // the DC moved on (After is the state after the run), the cloud kept the key every DC holds
        #expect(report.After?.Kvno == Int(start.kvno) + 1 && report.After?.CloudKeyKvno == Int(start.kvno), "\(pending.stdout)")
        #expect(report.Reason.contains(second.fqdn), "\(pending.stdout)")
        let dcs = report.DomainControllers
        #expect(dcs.first { $0.Name == second.fqdn }?.Converged == false, "\(dcs)")
        #expect(dcs.first { $0.Name == ctx.dc.fqdn }?.Converged == true, "\(dcs)")
        #expect(pending.stderr.contains("waiting for the DCs: ") && pending.stderr.contains(second.fqdn), "progress: \(pending.stderr)")
        // the DC made the new key; the tenant still holds the old one, which every DC holds
        #expect(try await sambaKeys(ctx).kvno == start.kvno + 1)
        #expect(try await cloud(ctx).currentKey == cloudBefore)
        try await expectInvariant(ctx)
        // get tells the truth: the DC is ahead, a rotation unfinished
        let get = try await aadkerb(["get"] + args + ["-o", "json"])
        let rotation = try decodeOutput(GetOutput.self, get.stdout).CloudRotation
        #expect(get.status == 4 && rotation?.FromKvno == Int(start.kvno), "\(get.stdout)")

        // a re-run while westwind2 is still down: pending again, no third key, nothing published
        let again = try await aadkerb(["rotate", "--wait", "3s"] + args + ["-o", "json"])
        #expect(again.status == 18, "\(again.stdout)\n\(again.stderr)")
        #expect(try await sambaKeys(ctx).kvno == start.kvno + 1)
        #expect(try await cloud(ctx).currentKey == cloudBefore)

        // westwind2 back: once it has the new key, a plain re-run publishes it
        let started = try await run(Paths.sambaDC, ["start", second.name])
        restarted = true
        try #require(started.status == 0, "\(started.stderr)")
        try #require(try await waitForReplication(of: krbtgt, attribute: "msDS-KeyVersionNumber", from: ctx.dc, to: second),
                     "westwind2 never replicated the new key")
        let finished = try await aadkerb(["rotate", "--wait", "60s"] + args + ["-o", "json"])
        #expect(finished.status == 0, "\(finished.stdout)\n\(finished.stderr)")
        #expect(try decodeOutput(RotateOutput.self, finished.stdout).Outcome == "Completed", "\(finished.stdout)")
        #expect(try await sambaKeys(ctx).kvno == start.kvno + 1)
        try await expectInSync(ctx)
        let onSecond = try await sambaKeys(Context(dc: second, server: ctx.server))
        #expect(onSecond.current == (try await cloud(ctx)).currentKey?.checkValue)
    }
}

extension SharedServers.RotateTests {
    /// The same promise with a DC that stays up but does not replicate (inbound replication off):
    /// it keeps answering with the old key version, so rotate must not publish, and at every
    /// point a ticket the tenant mints is accepted at both DCs. Once replication is back, a
    /// re-run publishes and the new ticket is accepted at both.
    @Test func aDCThatDoesNotReplicateKeepsTheNewKeyUnpublished() async throws {
        let (ctx, second, args, bundle) = try await bothWestwindDCs()
        defer { try? FileManager.default.removeItem(atPath: bundle) }
        let krbtgt = "CN=krbtgt_AzureAD,CN=Users,\(ctx.dc.baseDN)"
        let start = try await sambaKeys(ctx)
        func signInEverywhere(_ when: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let verify = try await aadkerb(["verify"] + args + ["--sign-in", Self.probeUser, "-o", "json"])
            let results = try decodeOutput(VerifyOutput.self, verify.stdout).Results
            #expect(verify.status == 0 && results.count == 2 && results.allSatisfy { $0.Outcome == "Accepted" },
                    "\(when): \(verify.stdout)\n\(verify.stderr)", sourceLocation: sourceLocation)
        }

        let off = try await run(Paths.sambaDC, ["replication", second.name, "off"])
        try #require(off.status == 0, "\(off.stderr)")
        var replicating = false
        // only when the test failed midway (a defer cannot wait: this runs on its own)
        defer { if !replicating { Task { _ = try? await run(Paths.sambaDC, ["replication", second.name, "on"]) } } }

        // killed while it waits for westwind2 (after the reset): the tenant still has the key both hold
        let killed = try await spawn(Paths.aadkerb, ["rotate", "--force", "--wait", "60s"] + args)
        var reset = false
        for _ in 0..<40 where !reset {
            try await Task.sleep(for: .milliseconds(250))
            reset = try await sambaKeys(ctx).kvno == start.kvno + 1
        }
        try await Task.sleep(for: .seconds(1))
        killed.kill(SIGKILL)
        #expect(try await killed.wait().status == 128 + SIGKILL)
        try #require(reset, "the killed run never reset the key")
        try await expectInvariant(ctx)
        try await signInEverywhere("killed while waiting")

        // the next run (the lease of the dead one broken) finds the reset done and still waits: pending
        let pending = try await aadkerb(["rotate", "--break-lease", "--wait", "5s"] + args + ["-o", "json"])
        #expect(pending.status == 18, "\(pending.stdout)\n\(pending.stderr)")
        let dcs = try decodeOutput(RotateOutput.self, pending.stdout).DomainControllers
        let lagging = try #require(dcs.first { $0.Name == second.fqdn })
        #expect(!lagging.Converged && lagging.Kvno == Int(start.kvno), "it answers, with the old kvno: \(lagging)")
        #expect(try await sambaKeys(ctx).kvno == start.kvno + 1)
        try await signInEverywhere("pending, westwind2 without the new key")

        let on = try await run(Paths.sambaDC, ["replication", second.name, "on"])
        replicating = true
        try #require(on.status == 0, "\(on.stderr)")
        try #require(try await waitForReplication(of: krbtgt, attribute: "msDS-KeyVersionNumber", from: ctx.dc, to: second),
                     "westwind2 never replicated the new key")
        let finished = try await aadkerb(["rotate", "--wait", "60s"] + args + ["-o", "json"])
        let outcome = try decodeOutput(RotateOutput.self, finished.stdout).Outcome
        #expect(finished.status == 0 && outcome == "Completed", "\(finished.stdout)")
        try await expectInSync(ctx)
        try await signInEverywhere("after the re-run published")
    }
}
