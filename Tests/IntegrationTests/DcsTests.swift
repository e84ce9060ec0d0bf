import Foundation
import Testing

extension SharedServers {
    /// `aadkerb dcs`: DNS SRV answered by Samba's own DNS server, the directory, and each DC asked.
    @Suite struct DcsTests {
        func rows(_ result: ProcessResult) throws -> [[String: Any]] {
            try #require(try jsonObject(result.stdout)["DomainControllers"] as? [[String: Any]], "\(result.stdout)\n\(result.stderr)")
        }

        @Test func dnsAndDirectoryAgreeOnASingleDC() async throws {
            let dc = try await Fixture.shared.dc("contoso")
            let found = try aadkerb(["dcs", "--dns-server", dc.ip] + dc.connectionArguments + ["-o", "json"])
            #expect(found.status == 0, "\(found.stdout)\n\(found.stderr)")
            let list = try rows(found)
            #expect(list.count == 1)
            #expect(list.first?["Name"] as? String == dc.fqdn)
            #expect(list.first?["InDns"] as? Bool == true && list.first?["InDirectory"] as? Bool == true)
            #expect(list.first?["Port"] as? Int == 389)
            #expect(list.first?["Writable"] as? Bool == true)
            #expect(list.first?["Reachable"] as? Bool == true)

            // DNS unreachable: said, and the directory still lists the DC
            let noDNS = try aadkerb(["dcs", "--dns-server", "127.0.0.99"] + dc.connectionArguments + ["-o", "json"])
            #expect(try jsonObject(noDNS.stdout)["DnsError"] is String)
            #expect(try rows(noDNS).first?["InDirectory"] as? Bool == true)
            #expect(try aadkerb(["dcs", "--no-dns"] + dc.connectionArguments).stdout.contains(dc.fqdn))
        }

        @Test func twoDCsOfADomainAndADNSGap() async throws {
            let second = try await Fixture.shared.dc("westwind2")
            let first = try await Fixture.shared.dc("westwind")
            let bundle = try DomainController.caBundle([first, second])
            defer { try? FileManager.default.removeItem(atPath: bundle) }
            let args = ["--domain", first.domain, "--server", first.uri, "--ca-file", bundle, "--user", "Administrator",
                        "--password-file", first.passwordFile, "--dns-server", first.ip, "-o", "json"]
            let result = try aadkerb(["dcs"] + args)
            let list = try rows(result)
            #expect(Set(list.compactMap { $0["Name"] as? String }) == [first.fqdn, second.fqdn])
            #expect(list.allSatisfy { $0["Reachable"] as? Bool == true && $0["Writable"] as? Bool == true }, "\(list)")
            // Samba registers no 127.x DC in its DNS, so the joined DC is in the directory only: flagged (exit 4)
            let joined = try #require(list.first { $0["Name"] as? String == second.fqdn })
            #expect(joined["InDns"] as? Bool == false)
            #expect(result.status == 4)
        }
    }
}
