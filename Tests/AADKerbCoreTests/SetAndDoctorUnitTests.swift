import Foundation
import Testing
@testable import AADKerbCore
import LDAPClient
import Basics
import TenantAPI

/// `set` is idempotent and repairs each kind of breakage; `remove` removes what is there.
@Suite struct SetIdempotenceTests {
    func setter(_ w: World, dryRun: Bool = false, cloud: Bool = true) -> KerberosServerSetter {
        KerberosServerSetter(connection: w.dc1, domain: w.domain, cloud: cloud ? w.tenant : nil, dryRun: dryRun,
                             keyReader: InMemoryKeyReader(dc: w.dc1))
    }

    @Test func aFirstSetCreatesEverythingAndASecondChangesNothing() async throws {
        let w = World()
        await w.dc1.addDC("dc1.contoso.test")
        let steps = try await setter(w).set()
        #expect(steps.map { "\($0.side.rawValue) \($0.action)" } == ["OnPrem Add", "OnPrem Add", "OnPrem Add", "OnPrem Add", "Cloud Create"])
        let onPrem = try await OnPremReader(connection: w.dc1, domain: w.domain).read()
        #expect(onPrem.status == .configured, "\(onPrem.problems)")
        #expect(onPrem.displayName == "krbtgt_1001")
        #expect(try await w.cloud().currentKey?.checkValue == KeyEnvelope.checkValue(try await w.dcKeys().current))
        let writes = await w.dc1.writes().count
        #expect(try await setter(w).set().isEmpty)
        #expect(await w.dc1.writes().count == writes, "an idempotent set writes nothing")
    }

    @Test func aDryRunPlansEverythingAndWritesNothing() async throws {
        let w = World()
        let steps = try await setter(w, dryRun: true).set()
        #expect(steps.count == 5)
        #expect(await w.dc1.writes().isEmpty)
        #expect(await w.tenant.writes == 0)
    }

    /// Each breakage, and the one step that repairs it; a second run then changes nothing.
    @Test(arguments: ["scp", "keywords", "container", "enabled", "uac", "link", "neverReveal", "password", "cloudKey", "cloudObject", "cloudMetadata"])
    func setRepairs(_ breakage: String) async throws {
        let w = try await World.configured()
        let o = w.objects
        switch breakage {
        case "scp": await w.dc1.remove(o.serviceConnectionPoint.description)
        case "keywords": await w.dc1.set(o.serviceConnectionPoint.description, "keywords", ["Id=1"])
        case "container": try await w.dc1.delete(o.container.description, controls: [.treeDelete])
        case "enabled": await w.dc1.set(w.krbtgt, "userAccountControl", ["512"])
        case "uac": await w.dc1.set(o.computer.description, "userAccountControl", ["4096"])
        case "link": await w.dc1.set(o.computer.description, "msDS-KrbTgtLink", nil)
        case "neverReveal": await w.dc1.set(o.computer.description, "msDS-NeverRevealGroup", nil)
        case "password": await w.dc1.set(o.computer.description, "pwdLastSet", ["0"])
        case "cloudKey": await w.tenant.mutate(World.domainName) { $0.currentKey = nil }
        case "cloudObject": _ = try await w.tenant.remove(domain: World.domainName)
        default: await w.tenant.mutate(World.domainName) { $0.keyVersion = 1 }
        }
        let steps = try await setter(w).set()
        #expect(!steps.isEmpty, "\(breakage) was not noticed")
        let onPrem = try await OnPremReader(connection: w.dc1, domain: w.domain).read()
        #expect(onPrem.status == .configured, "\(breakage): \(onPrem.problems)")
        let cloud = try await w.cloud()
        #expect(cloud.currentKey?.checkValue == KeyEnvelope.checkValue(try await w.dcKeys().current))
        #expect(KerberosServerComparison(onPrem: onPrem, cloud: cloud).pairs.allSatisfy { $0.verdict == .match })
        #expect(try await setter(w).set().isEmpty, "\(breakage): a second set changes nothing")
    }

    @Test func setFinishesAnInterruptedRotationAtOnce() async throws {
        let w = try await World.configured()
        await w.tenant.failNextWrites([nil, URLError(.timedOut)])
        await #expect(throws: (any Error).self) { try await w.rotator().run() }
        let steps = try await setter(w).set()
        #expect(steps.map(\.action) == ["Update"])
        let cloud = try await w.cloud()
        #expect(cloud.rotation == nil)
        #expect(cloud.currentKey?.checkValue == KeyEnvelope.checkValue(try await w.dcKeys().current))
    }

    @Test func aWriteTheDCRefusesIsThrownAndARerunFinishes() async throws {
        let w = World()
        await w.dc1.fail(.add, on: w.objects.serviceConnectionPoint.description,
                         with: LDAPError(code: .insufficientAccessRights, diagnosticMessage: "00002098: SecErr", operation: "add"))
        await #expect(throws: LDAPError.self) { try await setter(w).set() }
        let partial = try await OnPremReader(connection: w.dc1, domain: w.domain).read()
        #expect(partial.status == .incomplete)
        #expect(partial.problems.contains { $0.contains(w.objects.serviceConnectionPoint.description) && $0.contains("missing") })
        #expect(try await setter(w).set().map(\.action) == ["Add", "Create"])
        #expect(try await OnPremReader(connection: w.dc1, domain: w.domain).read().status == .configured)
    }

    @Test func removeRemovesEverythingOnceAndASecondRemoveNothing() async throws {
        let w = try await World.configured()
        let steps = try await setter(w).remove()
        #expect(steps.map { "\($0.side.rawValue) \($0.action)" } == ["Cloud Delete", "OnPrem Delete", "OnPrem Delete", "OnPrem Delete"])
        #expect(try await OnPremReader(connection: w.dc1, domain: w.domain).read().status == .notConfigured)
        #expect(await w.tenant.current(World.domainName) == nil)
        #expect(try await setter(w).remove().isEmpty)
    }

    @Test func aServerOfAnotherDomainIsRefusedBeforeAnyWrite() async throws {
        let other = InMemoryDirectory(domain: "fabrikam.test", hostName: "dc1.fabrikam.test")
        let setter = KerberosServerSetter(connection: other, domain: try DomainName("contoso.test"), cloud: nil, dryRun: false)
        await #expect(throws: AADKerbError.self) { try await setter.set() }
        #expect(await other.writes().isEmpty)
    }
}

/// Each doctor check, against the in-memory directory and tenant.
@Suite struct DoctorChecksTests {
    func doctor(_ w: World, cloud: Bool = true, keys: Bool = true, now: @escaping @Sendable () -> Date = Date.init) -> Doctor {
        let dc2 = w.dc2
        return Doctor(connection: w.dc1, domain: w.domain, cloud: cloud ? w.tenant : nil, keyReader: keys ? InMemoryKeyReader(dc: w.dc1) : nil,
                      connectToDC: { _ in dc2 }, now: now)
    }
    func status(_ checks: [DoctorCheck], _ name: String) -> DoctorCheck.Status? { checks.first { $0.name == name }?.status }

    @Test func aHealthyDomainPassesEveryCheck() async throws {
        let w = try await World.configured()
        let checks = await doctor(w).run()
        #expect(checks.map(\.name) == ["clock", "objects", "reveal-policy", "tier0-allowed", "key-age", "aes256", "replication", "tenant", "cloud-object"])
        #expect(checks.allSatisfy { $0.status == .pass }, "\(checks.filter { $0.status != .pass })")
    }

    @Test func aSkewedClockFailsAndHalfTheToleranceWarns() async throws {
        let w = try await World.configured()
        #expect(status(await doctor(w, now: { Date().addingTimeInterval(400) }).run(), "clock") == .fail)
        #expect(status(await doctor(w, now: { Date().addingTimeInterval(-200) }).run(), "clock") == .warn)
    }

    @Test func nothingConfiguredFailsAndStops() async throws {
        let w = World()
        let checks = await doctor(w).run()
        #expect(checks.map(\.name) == ["clock", "objects"])
        #expect(status(checks, "objects") == .fail)
        #expect(checks.last?.fix != nil)
    }

    @Test func anIncompleteServerFailsObjectsButGoesOn() async throws {
        let w = try await World.configured()
        await w.dc1.remove(w.objects.serviceConnectionPoint.description)
        let checks = await doctor(w).run()
        #expect(status(checks, "objects") == .fail)
        #expect(status(checks, "cloud-object") != nil)
    }

    @Test func aPrivilegedGroupNotDeniedFailsRevealPolicy() async throws {
        let w = try await World.configured()
        await w.dc1.set(w.objects.computer.description, "msDS-NeverRevealGroup", nil)
        let check = try #require(await doctor(w).run().first { $0.name == "reveal-policy" })
        #expect(check.status == .fail)
        #expect(check.detail.contains("Domain Admins"))
    }

    @Test func aPrivilegedGroupAllowedFailsRevealPolicy() async throws {
        let w = try await World.configured()
        let admins = "CN=Domain Admins,CN=Users,\(w.objects.domainDN)"
        await w.dc1.set(w.objects.computer.description, "msDS-RevealOnDemandGroup", [admins])
        let check = try #require(await doctor(w).run().first { $0.name == "reveal-policy" })
        #expect(check.status == .fail)
        #expect(check.detail.contains("allowed"))
    }

    @Test func anOldKeyWarns() async throws {
        let w = try await World.configured()
        let check = try #require(await doctor(w, now: { Date().addingTimeInterval(200 * 86400) }).run().first { $0.name == "key-age" })
        #expect(check.status == .warn)
    }

    @Test func noKeyReaderSkipsAES256() async throws {
        let w = try await World.configured()
        #expect(status(await doctor(w, keys: false).run(), "aes256") == .skipped)
    }

    @Test func aDCBehindWarnsReplication() async throws {
        let w = try await World.configured(twoDCs: true)
        try await w.dc1.modify(w.krbtgt, [LDAPModification(.replace, "unicodePwd", values: [[0x22, 0, 0x22, 0]])])
        let check = try #require(await doctor(w).run().first { $0.name == "replication" })
        #expect(check.status == .warn)
        #expect(check.detail.contains("dc2.contoso.test"))
    }

    @Test func theTenantChecks() async throws {
        let w = try await World.configured()
        #expect(status(await doctor(w, cloud: false).run(), "tenant") == .skipped)
        await w.tenant.mutate(World.domainName) { $0.keyVersion += 1 }
        #expect(status(await doctor(w).run(), "cloud-object") == .fail)
        await w.tenant.mutate(World.domainName) { $0.currentKey = nil }
        let noKey = try #require(await doctor(w).run().first { $0.name == "cloud-object" })
        #expect(noKey.detail.contains("no key"))
        _ = try await w.tenant.remove(domain: World.domainName)
        #expect(status(await doctor(w).run(), "cloud-object") == .fail)
    }

    @Test func anUnfinishedRotationWarns() async throws {
        let w = try await World.configured()
        await w.tenant.failNextWrites([nil, URLError(.timedOut)])
        await #expect(throws: (any Error).self) { try await w.rotator().run() }
        let checks = await doctor(w).run()
        #expect(status(checks, "rotation") == .warn)
        #expect(status(checks, "cloud-object") == .fail, "drifted: the DC made a key the tenant does not hold yet")
    }
}
