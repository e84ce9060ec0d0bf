import Basics
import Foundation
import Testing
@testable import AADKerbCore
import LDAPClient
import TenantAPI

@Suite struct ReplicationMetadataTests {
    /// Builds a v1 blob the way the DC lays it out (MS-DRSR PROPERTY_META_DATA_EXT_VECTOR, NDR).
    static func blob(_ entries: [(UInt32, UInt32, UInt64, [UInt8], UInt64, UInt64)], version: UInt32 = 1) -> [UInt8] {
        func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
        var b = le(version) + le(UInt32(0)) + le(UInt32(entries.count)) + le(UInt32(0))
        for (attid, ver, time, inv, ousn, lusn) in entries {
            b += le(attid) + le(ver) + le(time) + inv + le(ousn) + le(lusn)
        }
        return b
    }

    static let invocation: [UInt8] = [0xa5, 0x79, 0x46, 0x7c, 0xbe, 0xcf, 0x95, 0x48, 0xbe, 0xd7, 0xbe, 0x9b, 0xa9, 0x55, 0x09, 0xc1]

    @Test func decodesTheUnicodePwdEntry() throws {
        // 2026-11-24T20:05:14Z is 13_440_024_314 s after 1601-01-01.
        let b = Self.blob([(0x0, 1, 13_411_253_000, Self.invocation, 4070, 4070),
                           (0x9005a, 3, 13_440_024_314, Self.invocation, 4080, 4081)])
        let md = try ReplicationMetadata(decoding: b)
        #expect(md.entries.count == 2)
        let pwd = try #require(md.entry(for: ReplicationMetadata.unicodePwd))
        #expect(pwd.version == 3)
        #expect(pwd.originatingUSN == 4080)
        #expect(pwd.localUSN == 4081)
        #expect(ISO8601DateFormatter().string(from: pwd.changeTime) == "2026-11-24T20:05:14Z")
        #expect(Hex.guid(pwd.originatingInvocationID) == "7c4679a5-cfbe-4895-bed7-be9ba95509c1")
    }

    @Test func rejectsTruncatedAndUnknownBlobs() {
        #expect(throws: ReplicationMetadata.DecodeError.tooShort(3)) { try ReplicationMetadata(decoding: [1, 0, 0]) }
        #expect(throws: ReplicationMetadata.DecodeError.unsupportedVersion(2)) {
            try ReplicationMetadata(decoding: Self.blob([], version: 2))
        }
        var b = Self.blob([(0x9005a, 1, 1, Self.invocation, 1, 1)])
        b.removeLast()
        #expect(throws: ReplicationMetadata.DecodeError.countMismatch(count: 1, bytes: 63)) {
            try ReplicationMetadata(decoding: b)
        }
        // A huge claimed count must not allocate or crash.
        var lie = Self.blob([])
        lie[8] = 0xff; lie[9] = 0xff; lie[10] = 0xff; lie[11] = 0xff
        #expect(throws: ReplicationMetadata.DecodeError.self) { try ReplicationMetadata(decoding: lie) }
    }

    /// Found by scripts/fuzz (fuzz-repl-metadata): a change time below Int64.min + 11,644,473,600
    /// (here Int64.min, as in the fuzzer's input) trapped on the Int64 subtraction of the epoch.
    /// Every 64-bit value now decodes, to a date however absurd, and its neighbours stay right.
    @Test func anyChangeTimeDecodesWithoutTrapping() throws {
        let b = Self.blob([(0x0, 1, 0x8000_0000_0000_0000, Self.invocation, 1, 1),
                           (0x1, 1, 0xffff_ffff_ffff_ffff, Self.invocation, 2, 2),
                           (0x2, 1, 0x7fff_ffff_ffff_ffff, Self.invocation, 3, 3),
                           (0x9005a, 3, 13_440_024_314, Self.invocation, 4080, 4081)])
        let md = try ReplicationMetadata(decoding: b)
        #expect(md.entries.map(\.attributeID) == [0x0, 0x1, 0x2, 0x9005a])
        #expect(md.entries[0].changeTime.timeIntervalSince1970 == -9_223_372_036_854_775_808.0 - 11_644_473_600)
        #expect(md.entries[1].changeTime.timeIntervalSince1970 == -11_644_473_601)  // -1 s: 1600-12-31T23:59:59Z
        #expect(md.entries[2].changeTime > md.entries[3].changeTime)
        #expect(ISO8601DateFormatter().string(from: md.entries[3].changeTime) == "2026-11-24T20:05:14Z")
        #expect(md.entries[3].originatingUSN == 4080 && md.entries[3].localUSN == 4081)
    }

    @Test func guidNeedsSixteenBytes() {
        #expect(Hex.guid([1, 2, 3]) == nil)
    }
}

@Suite struct DomainNameTests {
    @Test(arguments: ["contoso.corp.com", "CONTOSO.Corp.Com.", "a-b.c1", "single", "x.y.z.w.v"])
    func acceptsDNSNames(_ raw: String) throws {
        let d = try DomainName(raw)
        #expect(d.value == raw.lowercased().trimmingCharacters(in: ["."]))
        #expect(d.realm == d.value.uppercased())
    }

    @Test(arguments: [
        "", ".", "contoso..com", "-contoso.com", "contoso-.com", "contoso.corp.com)(objectClass=*",
        "contoso,DC=evil", "con toso.com", "contoso.com\0", "*", "c\\2a.com", "under_score.com",
        "é.com", String(repeating: "a", count: 64) + ".com", String(repeating: "a.", count: 127) + "aa",
    ])
    func rejectsAnythingElse(_ raw: String) {
        #expect(throws: AADKerbError.self) { try DomainName(raw) }
    }

    @Test func objectDNsFollowTheDomain() throws {
        let o = KerberosServerObjects(domain: try DomainName("contoso.corp.com"))
        #expect(o.computer.description == "CN=AzureADKerberos,OU=Domain Controllers,DC=contoso,DC=corp,DC=com")
        #expect(o.krbtgt.description == "CN=krbtgt_AzureAD,CN=Users,DC=contoso,DC=corp,DC=com")
        #expect(o.serviceConnectionPoint.description
            == "CN=900274c4-b7d2-43c8-90ee-00a9f650e335,CN=AzureAD,CN=System,DC=contoso,DC=corp,DC=com")
    }

    @Test func statusFollowsWhatWasFound() {
        var s = OnPremKerberosServer(domainDNSName: "x.com")
        #expect(s.status == .notConfigured)
        s.computerAccount = "CN=AzureADKerberos,OU=Domain Controllers,DC=x,DC=com"
        s.problems = ["krbtgt missing"]
        #expect(s.status == .incomplete)
        s.problems = []
        #expect(s.status == .configured)
    }
}

/// `--forest`'s choice of domains among the crossRefs of CN=Partitions. Live DCs (ForestTests)
/// can only show single-domain forests; these entries are shaped like a forest root's list with
/// a child domain, a pre-created (disabled) crossRef, and the non-domain partitions.
@Suite struct ForestCrossRefTests {
    func crossRef(_ cn: String, dnsRoot: String, systemFlags: Int, enabled: String? = nil) -> LDAPEntry {
        var attributes: [String: [[UInt8]]] = ["dnsRoot": [Array(dnsRoot.utf8)], "systemFlags": [Array(String(systemFlags).utf8)]]
        if let enabled { attributes["enabled"] = [Array(enabled.utf8)] }
        return LDAPEntry(dn: "CN=\(cn),CN=Partitions,CN=Configuration,DC=corp,DC=example", attributes: attributes)
    }

    @Test func domainsInUseOnlyEachOnceLowerCasedAndSorted() {
        let entries = [
            crossRef("CORP", dnsRoot: "Corp.Example", systemFlags: 3),
            crossRef("EU", dnsRoot: "eu.corp.example", systemFlags: 3, enabled: "TRUE"),
            crossRef("ASIA", dnsRoot: "asia.corp.example", systemFlags: 3, enabled: "FALSE"),   // pre-created, not promoted
            crossRef("Enterprise Configuration", dnsRoot: "corp.example", systemFlags: 1),
            crossRef("Enterprise Schema", dnsRoot: "corp.example", systemFlags: 1),
            crossRef("dns1", dnsRoot: "ForestDnsZones.corp.example", systemFlags: 5),
            crossRef("dns2", dnsRoot: "DomainDnsZones.eu.corp.example", systemFlags: 5),
            crossRef("CORP-dup", dnsRoot: "corp.example", systemFlags: 3),
        ]
        #expect(Forest.domainNames(crossRefs: entries) == ["corp.example", "eu.corp.example"])
    }

    @Test func theServerFilterAsksForEnabledDomainCrossRefsOnly() {
        let filter = Forest.filter.description
        #expect(filter.contains("(objectClass=crossRef)"))
        #expect(filter.contains("(systemFlags:1.2.840.113556.1.4.803:=3)"))
        #expect(filter.contains("(!(enabled=FALSE))"))
    }
}

/// Issue "first contact", 2.8: the comparison says what each pair is, also when nothing is there.
@Suite struct ComparisonTests {
    @Test func nothingOnEitherSideIsAbsentNotMissingInCloud() {
        let comparison = KerberosServerComparison(onPrem: OnPremKerberosServer(domainDNSName: "contoso.corp.com"), cloud: nil)
        #expect(comparison.status == .notConfigured)
        #expect(comparison.pairs.map(\.verdict) == Array(repeating: .absent, count: 5), "\(comparison.pairs)")
    }

    @Test func aCloudObjectWithoutOnPremIsMissingOnPremPairByPair() {
        let cloud = KerberosDomain(domainDnsName: "contoso.corp.com", id: 7, displayName: "krbtgt_7", keyVersion: 3)
        let comparison = KerberosServerComparison(onPrem: OnPremKerberosServer(domainDNSName: "contoso.corp.com"), cloud: cloud)
        #expect(comparison.status == .missingOnPrem)
        let verdicts = Dictionary(uniqueKeysWithValues: comparison.pairs.map { ($0.name, $0.verdict) })
        #expect(verdicts["Id"] == .missingOnPrem && verdicts["KeyVersion"] == .missingOnPrem && verdicts["DisplayName"] == .missingOnPrem)
        // neither side has a KeyUpdatedOn: absent, not blamed on either side
        #expect(verdicts["KeyUpdatedOn"] == .absent)
    }
}
