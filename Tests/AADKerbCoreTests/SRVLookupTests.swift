import Testing
@testable import AADKerbCore

@Suite struct SRVLookupTests {
    /// An answer as a DNS server sends it: the question, then two SRV records whose targets use
    /// name compression (pointers back into the question).
    func answer(id: UInt16) -> [UInt8] {
        var d: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xff), 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0]
        let question = try! SRVLookup.request("_ldap._tcp.dc._msdcs.contoso.com", id: id).dropFirst(12)
        d += question
        // "contoso.com" starts at offset 12 + len("_ldap._tcp.dc._msdcs") labels = 12 + 22
        let contoso: UInt8 = 12 + 1 + 5 + 1 + 4 + 1 + 2 + 1 + 6
        func srv(_ prio: UInt16, _ weight: UInt16, _ host: String) -> [UInt8] {
            var rdata: [UInt8] = [UInt8(prio >> 8), UInt8(prio & 0xff), UInt8(weight >> 8), UInt8(weight & 0xff), 0x01, 0x85]  // port 389
            rdata += [UInt8(host.utf8.count)] + Array(host.utf8) + [0xc0, contoso]
            return [0xc0, 12, 0, 33, 0, 1, 0, 0, 2, 88, UInt8(rdata.count >> 8), UInt8(rdata.count & 0xff)] + rdata
        }
        return d + srv(0, 100, "dc1") + srv(10, 0, "dc2")
    }

    @Test func parsesCompressedSRVAnswers() throws {
        let records = try SRVLookup.parse(answer(id: 0x1234), id: 0x1234, name: "x")
        #expect(records == [SRVRecord(priority: 0, weight: 100, port: 389, target: "dc1.contoso.com"),
                            SRVRecord(priority: 10, weight: 0, port: 389, target: "dc2.contoso.com")])
    }

    @Test func hostileAnswersThrowInsteadOfTrapping() {
        let good = answer(id: 7)
        #expect(throws: SRVLookupError.self) { try SRVLookup.parse(good, id: 8, name: "x") }  // another query's answer
        for cut in 0..<good.count {
            _ = try? SRVLookup.parse(Array(good.prefix(cut)), id: 7, name: "x")  // must not trap
        }
        var loop = good
        loop[12] = 0xc0; loop[13] = 12  // the question's name points at itself
        #expect(throws: SRVLookupError.self) { try SRVLookup.parse(loop, id: 7, name: "x") }
        var nx = good
        nx[3] = 0x83
        #expect(throws: SRVLookupError.self) { try SRVLookup.parse(nx, id: 7, name: "x") }
    }

    @Test func rfc2782OrderIsPriorityThenWeighted() {
        let records = [SRVRecord(priority: 10, weight: 0, port: 389, target: "late"),
                       SRVRecord(priority: 0, weight: 10, port: 389, target: "light"),
                       SRVRecord(priority: 0, weight: 90, port: 389, target: "heavy")]
        // the pool is in a stable order (weight-0 first, then by name: heavy, light); the draw picks
        // the running-sum position: 0...90 -> heavy, 91...100 -> light
        #expect(SRVLookup.ordered(records, random: { _ in 50 }).map(\.target) == ["heavy", "light", "late"])
        #expect(SRVLookup.ordered(records, random: { _ in 95 }).map(\.target) == ["light", "heavy", "late"])
        #expect(SRVLookup.ordered([]).isEmpty)
    }
}
