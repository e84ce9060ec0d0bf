import Foundation
import Testing
@testable import AADKerbCore
import LDAPClient
import Basics
import TenantAPI

/// A domain with one or two writable DCs and a tenant, in memory, configured by `set` with a key
/// made 40 days ago (so rotation is due and outside the ticket lifetime).
struct World {
    static let domainName = "contoso.test"
    let domain = try! DomainName(Self.domainName)
    let dc1 = InMemoryDirectory(domain: Self.domainName, hostName: "dc1.contoso.test")
    let dc2 = InMemoryDirectory(domain: Self.domainName, hostName: "dc2.contoso.test")
    let tenant = InMemoryTenant()
    let objects = KerberosServerObjects(domain: try! DomainName(Self.domainName))
    var krbtgt: String { objects.krbtgt.description }

    /// `twoDCs`: dc2 is a writable DC too, reached through `connectToDC`, holding what dc1 had at set-up.
    static func configured(twoDCs: Bool = false) async throws -> World {
        let w = World()
        let past = Date().addingTimeInterval(-40 * 86400)
        for dc in [w.dc1, w.dc2] {
            await dc.addDC("dc1.contoso.test")
            if twoDCs { await dc.addDC("dc2.contoso.test") }
        }
        await w.dc1.setClock { past }
        _ = try await KerberosServerSetter(connection: w.dc1, domain: w.domain, cloud: w.tenant, dryRun: false,
                                           keyReader: InMemoryKeyReader(dc: w.dc1)).set()
        await w.dc1.setClock { Date() }
        if twoDCs { await w.dc1.replicate(to: w.dc2) }
        await w.dc1.clearLog()
        return w
    }

    func rotator(_ configure: (inout RotationPolicy) -> Void = { _ in }, now: @escaping @Sendable () -> Date = Date.init) -> KeyRotator {
        var policy = RotationPolicy()
        policy.convergenceTimeout = 0
        configure(&policy)
        let dc2 = self.dc2
        return KeyRotator(connection: dc1, domain: domain, cloud: tenant, keyReader: InMemoryKeyReader(dc: dc1), policy: policy,
                          connectToDC: { dc in
                              guard dc.name == "dc2.contoso.test" else { throw LDAPError(code: .serverDown, operation: "connect", target: dc.name) }
                              return dc2
                          }, now: now)
    }

    func dcKeys() async throws -> AccountKeys { try #require(await dc1.accountKeys(krbtgt)) }
    func cloud() async throws -> KerberosDomain { try #require(await tenant.current(Self.domainName)) }
    /// The invariant: the tenant's current key is the current or previous key of every writable DC.
    func invariantHolds() async throws -> Bool {
        let current = try await cloud().currentKey?.checkValue
        for dc in [dc1, dc2] {
            guard let keys = await dc.accountKeys(krbtgt) else { continue }
            let held = [keys.current] + (keys.previous.map { [$0] } ?? [])
            if !held.map(KeyEnvelope.checkValue).contains(current ?? "") { return false }
        }
        return true
    }
}

extension InMemoryDirectory {
    func setClock(_ clock: @escaping @Sendable () -> Date) { now = clock }
    func setKeyResetWorks(_ works: Bool) { keyResetWorks = works }
}

/// Every row of docs/rotation.md's tables, against the in-memory directory and tenant.
@Suite struct RotationTableTests {
    @Test func aDueKeyIsRotatedOnBothSides() async throws {
        let w = try await World.configured()
        let before = try await w.dcKeys()
        let result = try await w.rotator().run()
        #expect(result.outcome == .rotated)
        let after = try await w.dcKeys()
        #expect(KeyEnvelope.checkValue(after.previous!) == KeyEnvelope.checkValue(before.current))
        let cloud = try await w.cloud()
        #expect(cloud.currentKey?.checkValue == KeyEnvelope.checkValue(after.current))
        #expect(cloud.previousKey?.checkValue == KeyEnvelope.checkValue(before.current))
        #expect(cloud.currentKey?.kvno == result.after?.kvno)
        #expect(result.after?.kvno == result.before.kvno.map { $0 + 1 })
        #expect(cloud.rotation == nil, "publishing clears the lease")
        #expect(try await w.invariantHolds())
    }

    @Test func theTenantOnTheDCsPreviousKeyIsCompletedWithoutANewKey() async throws {
        let w = try await World.configured()
        // an earlier run reset the key and stopped (its lease expired)
        try await w.dc1.modify(w.krbtgt, [LDAPModification(.replace, "unicodePwd", values: [[0x22, 0, 0x22, 0]])])
        let kvno = await w.dc1.kvno(w.krbtgt)
        let result = try await w.rotator().run()
        #expect(result.outcome == .completed)
        #expect(await w.dc1.kvno(w.krbtgt) == kvno, "no third key")
        #expect(try await w.cloud().currentKey?.checkValue == KeyEnvelope.checkValue(try await w.dcKeys().current))
    }

    @Test(arguments: [false, true])
    func aTenantWithNoKeyOrAForeignKeyIsRepaired(foreign: Bool) async throws {
        let w = try await World.configured()
        await w.tenant.mutate(World.domainName) {
            $0.currentKey = foreign ? KeySlot(kvno: 9, keyVersion: 1, checkValue: "0011223344556677") : nil
            $0.previousKey = nil
        }
        let kvno = await w.dc1.kvno(w.krbtgt)
        let result = try await w.rotator().run()
        #expect(result.outcome == .repaired)
        #expect(await w.dc1.kvno(w.krbtgt) == kvno, "the DC's key is published, not replaced")
        #expect(try await w.invariantHolds())
    }

    @Test func aKeyYoungerThanMinAgeIsSkipped() async throws {
        let w = try await World.configured()
        let result = try await w.rotator { $0.minimumAge = 60 * 86400 }.run()
        #expect(result.outcome == .skipped)
        #expect(await w.dc1.writes().isEmpty)
        #expect(await w.tenant.writes == 1, "only set's write")
    }

    @Test func aKeyWithinTheTicketLifetimeIsRefusedUnlessForced() async throws {
        let w = try await World.configured()
        #expect(try await w.rotator().run().outcome == .rotated)
        let refused = try await w.rotator().run()
        #expect(refused.outcome == .refused)
        guard case .withinTicketLifetime = refused.reason else { Issue.record("\(refused.reason)"); return }
        let forced = try await w.rotator { $0.force = true }.run()
        #expect(forced.outcome == .rotated)
        #expect(try await w.invariantHolds())
    }

    @Test func anotherRunsLiveLeaseKeepsThisRunOff() async throws {
        let w = try await World.configured()
        let now = Date()
        await w.tenant.mutate(World.domainName) {
            $0.rotation = RotationLease(id: "other", holder: "host2 pid 7", startedOn: ISO8601.string(now),
                                        expiresOn: ISO8601.string(now.addingTimeInterval(600)), fromKvno: 1)
        }
        let writesBefore = await w.tenant.writes
        let result = try await w.rotator().run()
        #expect(result.outcome == .refused)
        guard case let .leaseHeld(lease) = result.reason else { Issue.record("\(result.reason)"); return }
        #expect(lease.holder == "host2 pid 7")
        #expect(await w.dc1.writes().isEmpty)
        #expect(await w.tenant.writes == writesBefore)
        // --break-lease: that run is known to be dead
        #expect(try await w.rotator { $0.breakLease = true }.run().outcome == .rotated)
    }

    @Test func anExpiredLeaseIsTakenOver() async throws {
        let w = try await World.configured()
        let then = Date().addingTimeInterval(-3600)
        await w.tenant.mutate(World.domainName) {
            $0.rotation = RotationLease(id: "dead", holder: "host2 pid 7", startedOn: ISO8601.string(then),
                                        expiresOn: ISO8601.string(then.addingTimeInterval(900)), fromKvno: 1)
        }
        #expect(try await w.rotator().run().outcome == .rotated)
        #expect(try await w.cloud().rotation == nil)
    }

    @Test func losingTheIfMatchRaceForTheLeaseChangesNothing() async throws {
        let w = try await World.configured()
        await w.tenant.beforeWrite { tenant in await tenant.mutate(World.domainName) { $0.displayName += "" } }
        let result = try await w.rotator().run()
        #expect(result.outcome == .refused)
        #expect(await w.dc1.writes().isEmpty, "no key reset after a lost lease")
    }

    @Test func aConflictOnPublishIsFineWhenTheTenantHoldsTheNewKey() async throws {
        let w = try await World.configured()
        // the lease write lands; just before the publish, someone else (set) publishes the DC's new key
        let dc1 = w.dc1, krbtgt = w.krbtgt
        await w.tenant.beforeWrite(2) { tenant in
            let keys = await dc1.accountKeys(krbtgt)!
            try await tenant.publishAsAnotherWriter(World.domainName, key: keys.current, kvno: await dc1.kvno(krbtgt)!)
        }
        let result = try await w.rotator().run()
        #expect(result.outcome == .rotated)
        #expect(try await w.cloud().currentKey?.checkValue == KeyEnvelope.checkValue(try await w.dcKeys().current))
        #expect(try await w.invariantHolds())
    }

    @Test func anotherRunsLeaseTakenDuringARepairPublishIsRefused() async throws {
        let w = try await World.configured()
        await w.tenant.mutate(World.domainName) { $0.currentKey = nil }
        // while this run repairs, another takes a live lease (it read the tenant first)
        let now = Date()
        await w.tenant.beforeWrite(1) { tenant in
            await tenant.mutate(World.domainName) {
                $0.rotation = RotationLease(id: "other", holder: "host2 pid 9", startedOn: ISO8601.string(now),
                                            expiresOn: ISO8601.string(now.addingTimeInterval(600)), fromKvno: 1)
            }
        }
        let result = try await w.rotator().run()
        #expect(result.outcome == .refused)
        guard case let .leaseTakenWhilePublishing(lease, _) = result.reason else { Issue.record("\(result.reason)"); return }
        #expect(lease.holder == "host2 pid 9")
    }

    @Test func aLostPublishWithoutTheNewKeyIsAnErrorAndARerunCompletes() async throws {
        let w = try await World.configured()
        await w.tenant.failNextWrites([nil, StoreConflict("412")])
        await #expect(throws: RotationError.self) { try await w.rotator().run() }
        // state: the DC holds n+1, the tenant n with this run's lease: get shows Drifted, the invariant holds
        #expect(try await w.invariantHolds())
        #expect(try await w.cloud().rotation != nil)
        // the lease is live: refused until it expires, then completed
        #expect(try await w.rotator().run().outcome == .refused)
        let later = Date().addingTimeInterval(16 * 60)
        let rerun = try await w.rotator(now: { later }).run()
        #expect(rerun.outcome == .completed)
        #expect(try await w.cloud().currentKey?.checkValue == KeyEnvelope.checkValue(try await w.dcKeys().current))
        #expect(try await w.cloud().rotation == nil)
    }

    @Test(arguments: ["lease", "reset", "publish"])
    func interruptedAfterEachStepARerunConverges(step: String) async throws {
        let w = try await World.configured()
        let start = try await w.dcKeys()
        let fault = LDAPError(code: .unavailable, diagnosticMessage: "DC went away", operation: "modify", target: w.krbtgt)
        switch step {
        case "lease": await w.dc1.fail(.modify, on: w.krbtgt, with: fault)         // the reset fails after the lease
        case "reset": await w.tenant.failNextWrites([nil, URLError(.timedOut)])    // reset done, the publish times out
        default: await w.tenant.failNextWrites([nil, URLError(.networkConnectionLost)])
        }
        await #expect(throws: (any Error).self) { try await w.rotator().run() }
        #expect(try await w.invariantHolds(), "after a failure at \(step)")
        // the next run, once the lease has expired
        let later = Date().addingTimeInterval(16 * 60)
        let rerun = try await w.rotator({ $0.force = true }, now: { later }).run()
        #expect([.rotated, .completed].contains(rerun.outcome))
        #expect(try await w.invariantHolds())
        let end = try await w.dcKeys()
        #expect(try await w.cloud().currentKey?.checkValue == KeyEnvelope.checkValue(end.current))
        if step == "lease" {
            #expect(rerun.outcome == .rotated, "nothing was reset: the re-run rotates")
        } else {
            #expect(rerun.outcome == .completed, "the key was reset: the re-run publishes it, no third key")
            #expect(KeyEnvelope.checkValue(end.previous!) == KeyEnvelope.checkValue(start.current))
        }
    }

    @Test func aKvnoThatDoesNotAdvanceIsAnError() async throws {
        let w = try await World.configured()
        await w.dc1.setKeyResetWorks(false)
        await #expect {
            try await w.rotator().run()
        } throws: { error in
            guard case RotationError.kvnoDidNotAdvance = error else { return false }
            return true
        }
        #expect(try await w.invariantHolds())
    }

    @Test func aDCThatHasNotReplicatedKeepsTheKeyUnpublished() async throws {
        let w = try await World.configured(twoDCs: true)
        let start = try await w.dcKeys()
        let result = try await w.rotator().run()
        #expect(result.outcome == .pending)
        guard case let .notReplicated(_, lagging, newKey, _) = result.reason else { Issue.record("\(result.reason)"); return }
        #expect(lagging.map(\.name) == ["dc2.contoso.test"])
        #expect(newKey)
        #expect(result.domainControllers.map(\.name) == ["dc1.contoso.test", "dc2.contoso.test"])
        #expect(result.domainControllers.map(\.converged) == [true, false])
        // the tenant keeps the key both DCs hold; the lease is handed on (expired at once)
        #expect(try await w.cloud().currentKey?.checkValue == KeyEnvelope.checkValue(start.current))
        let lease = try #require(try await w.cloud().rotation)
        #expect(ISO8601.date(lease.expiresOn)! <= Date())
        #expect(try await w.invariantHolds())
        // again before replication: still pending, no third key
        let kvno = await w.dc1.kvno(w.krbtgt)
        #expect(try await w.rotator().run().outcome == .pending)
        #expect(await w.dc1.kvno(w.krbtgt) == kvno)
        // replicated: the next run publishes
        await w.dc1.replicate(to: w.dc2)
        #expect(try await w.rotator().run().outcome == .completed)
        #expect(try await w.invariantHolds())
        #expect(try await w.cloud().currentKey?.checkValue == KeyEnvelope.checkValue(try await w.dcKeys().current))
    }

    @Test func anUnreachableDCIsLaggingNotConverged() async throws {
        let w = try await World.configured()
        await w.dc1.addDC("dc3.contoso.test")   // listed, but connectToDC cannot reach it
        let result = try await w.rotator().run()
        #expect(result.outcome == .pending)
        guard case .unreachable? = result.domainControllers.first(where: { $0.name == "dc3.contoso.test" })?.problem else {
            Issue.record("\(result.domainControllers)"); return
        }
    }

    /// The wait for the DCs on a test clock: the pauses it took, the connections it made.
    final class WaitProbe: @unchecked Sendable {
        private let lock = NSLock()
        private var clock = Date()
        private var _pauses: [Double] = []
        private var _connects: [String: Int] = [:]
        private var _progress = 0
        var pauses: [Double] { lock.withLock { _pauses.map { ($0 * 1000).rounded() / 1000 } } }
        var connects: [String: Int] { lock.withLock { _connects } }
        var progressReports: Int { lock.withLock { _progress } }
        func now() -> Date { lock.withLock { clock } }
        func pause(_ d: Duration) -> Int {
            lock.withLock {
                let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
                clock = clock.addingTimeInterval(seconds)
                _pauses.append(seconds)
                return _pauses.count
            }
        }
        func connected(_ name: String) { lock.withLock { _connects[name, default: 0] += 1 } }
        func reported() { lock.withLock { _progress += 1 } }
    }

    /// A rotator whose wait runs on `probe`'s clock: `afterPause(n)` runs after the n-th pause.
    func waitingRotator(_ w: World, timeout: TimeInterval, probe: WaitProbe,
                        afterPause: @escaping @Sendable (Int) async -> Void = { _ in }) -> KeyRotator {
        var policy = RotationPolicy()
        policy.force = true
        policy.convergenceTimeout = timeout
        let dc2 = w.dc2
        var rotator = KeyRotator(connection: w.dc1, domain: w.domain, cloud: w.tenant, keyReader: InMemoryKeyReader(dc: w.dc1), policy: policy,
                                 connectToDC: { dc in
                                     probe.connected(dc.name)
                                     guard dc.name == "dc2.contoso.test" else { throw LDAPError(code: .serverDown, operation: "connect", target: dc.name) }
                                     return dc2
                                 }, now: { probe.now() })
        rotator.sleep = { d in await afterPause(probe.pause(d)) }
        rotator.progress = { _ in probe.reported() }
        return rotator
    }

    @Test func theWaitBacksOffAndStillReportsADCThatNeverConverges() async throws {
        let w = try await World.configured(twoDCs: true)
        await w.dc1.addDC("dc3.contoso.test")   // listed, never reachable
        let start = try await w.dcKeys()
        let probe = WaitProbe()
        let result = try await waitingRotator(w, timeout: 10, probe: probe).run()
        // 0.2 s, 0.4 s, 0.5 s until 5 s have passed, then 2 s; the last pause cut so that the
        // last poll falls on the deadline (15 polls: 0, 0.2, 0.6, 1.1 ... 5.1, 7.1, 9.1, 10)
        #expect(probe.pauses == [0.2, 0.4] + Array(repeating: 0.5, count: 9) + [2, 2, 0.9])
        // progress after the first poll, then every 2 s at most (at 0, 2.1, 4.1, 7.1, 9.1)
        #expect(probe.progressReports == 5)
        // dc2 answered at the first poll: its connection kept for all 15 polls; dc3 tried again at each
        #expect(probe.connects == ["dc2.contoso.test": 1, "dc3.contoso.test": 15])
        #expect(result.outcome == .pending)
        guard case let .notReplicated(_, lagging, newKey, _) = result.reason else { Issue.record("\(result.reason)"); return }
        #expect(lagging.map(\.name) == ["dc2.contoso.test", "dc3.contoso.test"])
        #expect(newKey)
        #expect(try await w.cloud().currentKey?.checkValue == KeyEnvelope.checkValue(start.current))
        #expect(try await w.invariantHolds())
    }

    @Test func theWaitEndsAtThePollThatFindsTheKeyAndReconnectsADCThatDidNotAnswer() async throws {
        let w = try await World.configured(twoDCs: true)
        await w.dc2.fail(.read, on: w.krbtgt)   // dc2's first answer fails: its connection is dropped
        let probe = WaitProbe()
        let (dc1, dc2) = (w.dc1, w.dc2)
        let result = try await waitingRotator(w, timeout: 120, probe: probe) { n in
            if n == 2 { await dc1.replicate(to: dc2) }   // replicated during the second pause
        }.run()
        #expect(probe.pauses == [0.2, 0.4])
        #expect(probe.connects == ["dc2.contoso.test": 2])
        #expect(result.outcome == .rotated)
        #expect(result.domainControllers.map(\.converged) == [true, true])
        #expect(try await w.cloud().currentKey?.checkValue == KeyEnvelope.checkValue(try await w.dcKeys().current))
    }

    /// The pacing alone: a pause counts from the start of the poll before it, a poll slower than
    /// its pause is followed at once, the last pause is cut at the deadline, and progress is due
    /// after the first poll and then once 2 s have passed.
    @Test func thePacingCountsEachPauseFromItsPollsStart() {
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        func at(_ s: Double) -> Date { t0.addingTimeInterval(s) }
        // whole milliseconds: the times are Dates, and 0.15 s is not exact in binary
        func ms(_ d: Duration) -> Int { Int((Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15).rounded()) }
        var pacing = ConvergencePacing(started: t0, deadline: at(3))
        let r1 = pacing.reportDue()
        #expect(r1)
        let r2 = pacing.reportDue()
        #expect(!r2)
        // first poll 0 → 0.15 s: 0.2 s pause less the poll's 0.15 s
        let p1 = pacing.pause(pollStarted: at(0), now: at(0.15))
        #expect(ms(p1) == 50)
        // second poll 0.2 → 0.9 s, slower than its 0.4 s pause: none
        let p2 = pacing.pause(pollStarted: at(0.2), now: at(0.9))
        #expect(ms(p2) == 0)
        let r3 = pacing.reportDue()
        #expect(!r3)
        // 0.9 → 1.0 s: 0.5 s less 0.1 s
        let p3 = pacing.pause(pollStarted: at(0.9), now: at(1.0))
        #expect(ms(p3) == 400)
        let r4 = pacing.reportDue()
        #expect(!r4)
        let p4 = pacing.pause(pollStarted: at(1.4), now: at(1.4))
        #expect(ms(p4) == 500)
        // 0.05 + 0.15 + 0.7 + 0.5 + 0.5 = 1.9 s since the report: not yet
        let r5 = pacing.reportDue()
        #expect(!r5)
        let p5 = pacing.pause(pollStarted: at(1.9), now: at(1.9))
        #expect(ms(p5) == 500)
        let r6 = pacing.reportDue()
        #expect(r6)
        // the last pause cut so that the last poll falls on the deadline
        let p6 = pacing.pause(pollStarted: at(2.8), now: at(2.8))
        #expect(ms(p6) == 200)
        #expect(!pacing.deadlinePassed(at: at(2.8)))
        #expect(pacing.deadlinePassed(at: at(3)))
        let p7 = pacing.pause(pollStarted: at(3), now: at(3.5))
        #expect(ms(p7) == 0)
        // after the quick period: 2 s pauses
        #expect(ConvergencePacing.pause(after: .milliseconds(500), elapsed: 4.9) == .milliseconds(500))
        #expect(ConvergencePacing.pause(after: .milliseconds(500), elapsed: 5) == .seconds(2))
        #expect(ConvergencePacing.pause(after: nil, elapsed: 60) == .milliseconds(200))
    }

    @Test func aDryRunWritesNothing() async throws {
        let w = try await World.configured()
        let result = try await w.rotator { $0.dryRun = true }.run()
        #expect(result.outcome == .rotated)
        #expect(result.steps.map(\.action) == ["Lease", "ResetKey", "Wait", "Publish"])
        #expect(await w.dc1.writes().isEmpty)
        #expect(await w.tenant.writes == 1)
    }

    @Test func notConfiguredAndNoCloudObjectAreErrors() async throws {
        let w = World()
        await #expect(throws: RotationError.self) { try await w.rotator().run() }
        let configured = try await World.configured()
        _ = try await configured.tenant.remove(domain: World.domainName)
        await #expect {
            try await configured.rotator().run()
        } throws: { error in
            guard case RotationError.cloudMissing = error else { return false }
            return true
        }
    }
}
