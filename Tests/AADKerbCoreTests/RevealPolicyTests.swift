import Foundation
import Testing
@testable import AADKerbCore
import LDAPClient

/// The reveal policy's lists, read against the in-memory DC: the entries' reads go in one batch
/// (one round trip on a network), and the result is what reading them one by one gives.
@Suite struct RevealPolicyReadTests {
    /// Each entry of a list read on its own, as the policy read did before it batched them.
    func oneByOne(_ dc: InMemoryDirectory, _ dns: [String]) async throws -> [RevealPolicy.Principal] {
        var out: [RevealPolicy.Principal] = []
        for dn in dns {
            let entry = try await dc.read(dn, attributes: ["objectSid", "sAMAccountName", "cn"])
            out.append(RevealPolicy.Principal(dn: dn, sid: entry?.bytes("objectSid").flatMap(formatSID),
                                              name: entry?.string("sAMAccountName") ?? entry?.string("cn") ?? dn))
        }
        return out
    }

    @Test func theListsAreReadInOneBatchWithTheSameResult() async throws {
        let w = try await World.configured()
        let computer = w.objects.computer.description
        // an entry whose object is gone: named by its DN, no SID (as a single read answers)
        let gone = "CN=Gone,CN=Users,\(w.objects.domainDN)"
        let denied = try #require(try await w.dc1.read(computer, attributes: ["msDS-NeverRevealGroup"])).strings("msDS-NeverRevealGroup") + [gone]
        await w.dc1.set(computer, "msDS-NeverRevealGroup", denied)
        let allowed = try #require(try await w.dc1.read(computer, attributes: ["msDS-RevealOnDemandGroup"])).strings("msDS-RevealOnDemandGroup")
        #expect(allowed.count == 1 && denied.count >= 8, "\(allowed) \(denied)")
        await w.dc1.clearLog()

        let policy = try await RevealPolicyEditor(connection: w.dc1, domain: w.domain).read()
        #expect(await w.dc1.batches == 1)
        #expect(await w.dc1.log.filter { $0.0 == .read }.map(\.1) == [computer])
        #expect(await w.dc1.log.filter { $0.0 == .search }.count == allowed.count + denied.count)
        #expect(policy.allowed == (try await oneByOne(w.dc1, allowed)))
        #expect(policy.denied == (try await oneByOne(w.dc1, denied)))
        #expect(policy.allowed.map(\.name) == ["Domain Users"])
        #expect(policy.denied.last == RevealPolicy.Principal(dn: gone, sid: nil, name: gone))
        #expect(policy.denied.dropLast().allSatisfy { $0.sid != nil })
    }

    /// explain: the principal (one search), the policy's object with the principal's token groups
    /// (one batch), the lists' entries (one batch); Domain Admins is denied by its own entry.
    @Test func explainTakesThreeRoundTripsAndFindsTheDenial() async throws {
        let w = try await World.configured()
        let domainSID = w.dc1.domainSID
        await w.dc1.clearLog()
        let why = try await RevealPolicyEditor(connection: w.dc1, domain: w.domain).explain("\(domainSID)-512")
        #expect(await w.dc1.batches == 2)
        #expect(await w.dc1.log.filter { $0.0 == .read }.isEmpty)
        #expect(why.verdict == .denied)
        #expect(why.principal.name == "Domain Admins")
        #expect(why.deniedBy.map(\.sid) == ["\(domainSID)-512"])
        #expect(why.allowedBy.isEmpty)
    }

    @Test func aMissingComputerObjectIsSaidSo() async throws {
        let w = World()
        await #expect(throws: RevealPolicyError.self) { try await RevealPolicyEditor(connection: w.dc1, domain: w.domain).read() }
        await #expect(throws: RevealPolicyError.self) { try await RevealPolicyEditor(connection: w.dc1, domain: w.domain).explain("S-1-5-32-544") }
    }
}
