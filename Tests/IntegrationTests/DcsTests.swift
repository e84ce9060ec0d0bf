import Foundation
import TestSupport
import Testing

extension SharedServers {
    /// `aadkerb dcs`: DNS SRV answered by Samba's own DNS server, the directory, and each DC asked.
    @Suite struct DcsTests {
        func rows(_ result: ProcessResult) throws -> [DcsOutput.DC] {
            let report = try decodeOutput(DcsOutput.self, result.stdout)
            try #require(!report.DomainControllers.isEmpty, "\(result.stdout)\n\(result.stderr)")
            return report.DomainControllers
        }

        @Test func dnsAndDirectoryAgreeOnASingleDC() async throws {
            let dc = try await Fixture.shared.dc("contoso")
            let found = try await aadkerb(["dcs", "--dns-server", dc.ip] + dc.connectionArguments + ["-o", "json"])
            #expect(found.status == 0, "\(found.stdout)\n\(found.stderr)")
            let list = try rows(found)
            #expect(list.count == 1)
            let only = try #require(list.first)
            #expect(only.Name == dc.fqdn)
            #expect(only.InDns && only.InDirectory && only.Trusted)
            #expect(only.Port == 389 && only.Priority != nil && only.Weight != nil)
            #expect(only.Writable == true)
            #expect(only.Reachable && only.Kvno != nil && only.Error == nil, "\(only)")
            #expect(only.Ldaps == true && only.LdapsError == nil, "\(list)")

            // reached with StartTLS on 389, the DC is still checked for LDAPS on 636
            var startTLS = dc.connectionArguments
            let server = try #require(startTLS.firstIndex(of: "--server"))
            startTLS[server + 1] = "ldap://\(dc.fqdn)"
            let viaStartTLS = try await aadkerb(["dcs", "--no-dns"] + startTLS + ["-o", "json"])
            #expect(viaStartTLS.status == 0, "\(viaStartTLS.stdout)\n\(viaStartTLS.stderr)")
            #expect(try rows(viaStartTLS).first?.Ldaps == true)

            // with Kerberos on ldap:// and no --ca-file, LDAPS is checked against the system's CAs,
            // which do not hold the DC's: a failed check (exit 4) unless --no-ldaps-check
            let kerberos = try await dc.aadkerbWithKerberos(["dcs", "--no-dns"] + dc.kerberosConnectionArguments + ["-o", "json"], tickets: .tgt)
            #expect(kerberos.status == 4, "\(kerberos.stdout)\n\(kerberos.stderr)")
            #expect(try rows(kerberos).first?.Ldaps == false)
            #expect(try rows(kerberos).first?.LdapsError != nil)
            #expect(try rows(kerberos).first?.Reachable == true)
            let unchecked = try await dc.aadkerbWithKerberos(["dcs", "--no-dns", "--no-ldaps-check"] + dc.kerberosConnectionArguments + ["-o", "json"],
                                                       tickets: .tgt)
            #expect(unchecked.status == 0, "\(unchecked.stdout)\n\(unchecked.stderr)")
            #expect(try rows(unchecked).first.map { $0.Ldaps == nil && $0.LdapsError == nil } == true)

            // DNS unreachable: said, and the directory still lists the DC
            let noDNS = try await aadkerb(["dcs", "--dns-server", "127.0.0.99"] + dc.connectionArguments + ["-o", "json"])
            #expect(try decodeOutput(DcsOutput.self, noDNS.stdout).DnsError != nil)
            #expect(try rows(noDNS).first?.InDirectory == true)
            #expect(try await aadkerb(["dcs", "--no-dns"] + dc.connectionArguments).stdout.contains(dc.fqdn))
        }

        @Test func twoDCsOfADomainAndADNSGap() async throws {
            let second = try await Fixture.shared.dc("westwind2")
            let first = try await Fixture.shared.dc("westwind")
            let bundle = try DomainController.caBundle([first, second])
            defer { try? FileManager.default.removeItem(atPath: bundle) }
            let args = ["--domain", first.domain, "--server", first.uri, "--ca-file", bundle, "--user", "Administrator",
                        "--password-file", first.passwordFile, "--dns-server", first.ip, "-o", "json"]
            let result = try await aadkerb(["dcs"] + args)
            let list = try rows(result)
            #expect(Set(list.map(\.Name)) == [first.fqdn, second.fqdn])
            #expect(list.allSatisfy { $0.Reachable && $0.Writable == true && $0.Trusted }, "\(list)")
            // Samba registers no 127.x DC in its DNS, so the joined DC is in the directory only: flagged (exit 4)
            let joined = try #require(list.first { $0.Name == second.fqdn })
            #expect(!joined.InDns && joined.InDirectory)
            // every key is present (decodeOutput checks), null when unknown
            #expect(joined.Port == nil && joined.Priority == nil && joined.Weight == nil && joined.Error == nil, "\(joined)")
            #expect(result.status == 4)
            #expect(list.allSatisfy { $0.Ldaps == true }, "\(list)")

            // trusting only the first DC's CA: the second DC's certificate fails the LDAPS check,
            // said for that DC alone, with the TLS library's reason
            var firstCAOnly = args
            firstCAOnly[try #require(args.firstIndex(of: bundle))] = first.caFile
            let untrusted = try await aadkerb(["dcs"] + firstCAOnly)
            #expect(untrusted.status == 4)
            let rowsUntrusted = try rows(untrusted)
            let bad = try #require(rowsUntrusted.first { $0.Name == second.fqdn })
            #expect(bad.Ldaps == false)
            let reason = try #require(bad.LdapsError)
            #expect(reason.contains("ldaps://\(second.fqdn)") && reason.lowercased().contains("certificate"), "\(reason)")
            #expect(rowsUntrusted.first { $0.Name == first.fqdn }?.Ldaps == true)
            #expect(try await aadkerb(["dcs"] + firstCAOnly.filter { $0 != "json" && $0 != "-o" }).stdout.contains("ldaps failed: "))
        }
    }
}
