import Foundation
import Testing

extension SharedServers {
    /// `--forest`: the forest's domains from the crossRefs of CN=Partitions (each fixture DC is a
    /// forest of one domain), an array in JSON even for one domain.
    @Suite struct ForestTests {
        @Test func forestFindsTheDomainsOfTheForestAndOnlyThose() async throws {
            for name in ["contoso", "fabrikam"] {
                let dc = try await Fixture.shared.dc(name)
                let result = try await aadkerb(["get", "--forest"] + dc.connectionArguments + ["-o", "json"])
                #expect([0, 3, 5].contains(result.status), "\(result.stderr)")
                let list = try decodeOutputs(GetOutput.self, result.stdout)
                #expect(list.map(\.DomainDnsName) == [dc.domain], "\(result.stdout)")  // its own forest only, not the other fixture forest
                let doctor = try await aadkerb(["doctor", "--forest"] + dc.connectionArguments + ["-o", "json"])
                #expect(try decodeOutputs(DoctorOutput.self, doctor.stdout).map(\.DomainDnsName) == [dc.domain], "\(doctor.stdout)")
            }
            let dc = try await Fixture.shared.dc("contoso")
            #expect(try await aadkerb(["remove", "--forest", "--yes"] + dc.connectionArguments).status == 64)
            #expect(try await aadkerb(["policy", "show", "--forest"] + dc.connectionArguments).status == 64)
            #expect(try await aadkerb(["get", "--forest", "--domain", "a.example", "--domain", "b.example"]).status == 64)
        }
    }
}
