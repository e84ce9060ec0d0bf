import Foundation
import Testing

extension SharedServers {
    /// `--forest`: the forest's domains from the crossRefs of CN=Partitions (each fixture DC is a
    /// forest of one domain), an array in JSON even for one domain.
    @Suite struct ForestTests {
        @Test func forestFindsTheDomainsOfTheForestAndOnlyThose() async throws {
            for name in ["contoso", "fabrikam"] {
                let dc = try await Fixture.shared.dc(name)
                let result = try aadkerb(["get", "--forest"] + dc.connectionArguments + ["-o", "json"])
                #expect([0, 3, 5].contains(result.status), "\(result.stderr)")
                let list = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]], "\(result.stdout)")
                #expect(list.map { $0["DomainDnsName"] as? String } == [dc.domain])  // its own forest only, not the other fixture forest
                let doctor = try aadkerb(["doctor", "--forest"] + dc.connectionArguments + ["-o", "json"])
                #expect((try JSONSerialization.jsonObject(with: Data(doctor.stdout.utf8)) as? [Any])?.count == 1)
            }
            let dc = try await Fixture.shared.dc("contoso")
            #expect(try aadkerb(["remove", "--forest", "--yes"] + dc.connectionArguments).status == 64)
            #expect(try aadkerb(["policy", "show", "--forest"] + dc.connectionArguments).status == 64)
            #expect(try aadkerb(["get", "--forest", "--domain", "a.example", "--domain", "b.example"]).status == 64)
        }
    }
}
