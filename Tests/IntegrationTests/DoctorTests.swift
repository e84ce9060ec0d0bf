import AADKerbCore
import Foundation
import TestSupport
import LDAPClient
import Testing

extension SharedServers {
    /// `aadkerb doctor` against contoso's DC and the tenant server: healthy, then seeded faults.
    @Suite struct DoctorTests {
        func checks(_ result: ProcessResult) throws -> [String: DoctorOutput.Check] {
            let report = try decodeOutput(DoctorOutput.self, result.stdout)
            #expect(report.Command == "doctor")
            return Dictionary(uniqueKeysWithValues: report.Checks.map { ($0.Name, $0) })
        }

        @Test func healthyThenEachSeededFaultIsFlaggedWithAFix() async throws {
            let dc = try await Fixture.shared.dc("contoso")
            let server = try await Fixture.shared.tenant()
            let args = dc.connectionArguments + server.arguments()
            try await Seeder.remove(dc, try await dc.adminConnection())
            try await server.client().delete(domain: dc.domain)
            #expect(try await aadkerb(["set"] + args).status == 0)

            let healthy = try await aadkerb(["doctor"] + args + ["-o", "json"])
            #expect(healthy.status == 0, "\(healthy.stdout)\n\(healthy.stderr)")
            let all = try checks(healthy)
            for name in ["connect", "clock", "objects", "reveal-policy", "key-age", "aes256", "replication", "tenant", "cloud-object"] {
                #expect(all[name]?.Status == "Pass", "\(name): \(String(describing: all[name]))")
            }
            #expect(try decodeOutput(DoctorOutput.self, healthy.stdout).Result == "Pass")

            // the same with --kerberos: the aes256 and cloud-object checks read the DC's key over
            // DRSUAPI with the ticket, and pass as with the password
            let viaKerberos = try await dc.aadkerbWithKerberos(["doctor"] + dc.kerberosConnectionArguments + server.arguments() + ["-o", "json"],
                                                         tickets: .tgt)
            #expect(viaKerberos.status == 0, "\(viaKerberos.stdout)\n\(viaKerberos.stderr)")
            let kerberosChecks = try checks(viaKerberos)
            for name in ["aes256", "tenant", "cloud-object"] {
                #expect(kerberosChecks[name]?.Status == "Pass", "\(name): \(String(describing: kerberosChecks[name]))")
            }

            // A key older than --max-key-age is a warning: exit 8.
            let old = try await aadkerb(["doctor", "--max-key-age", "0s"] + args + ["-o", "json"])
            #expect(old.status == 8, "\(old.stdout)")
            #expect(try checks(old)["key-age"]?.Status == "Warn")

            // Domain Admins no longer denied: the reveal policy fails, with a fix; exit 9.
            let c = try await dc.adminConnection()
            let domainSID = try #require(try await c.read(dc.baseDN, attributes: ["objectSid"])?.bytes("objectSid"))
            let sid = try #require(formatSID(domainSID)) + "-512"
            try await c.modify("CN=AzureADKerberos,OU=Domain Controllers,\(dc.baseDN)",
                               [LDAPModification(.delete, "msDS-NeverRevealGroup", strings: ["<SID=\(sid)>"])])
            let leaky = try await aadkerb(["doctor"] + args + ["-o", "json"])
            #expect(leaky.status == 9)
            let policy = try #require(try checks(leaky)["reveal-policy"])
            #expect(policy.Status == "Fail")
            #expect(policy.Detail.contains("Domain Admins"), "\(policy)")
            #expect(policy.Fix?.isEmpty == false)
            #expect(try await aadkerb(["doctor"] + args).stdout.contains("fix:"))

            // The cloud object gone: flagged, with the command that repairs it.
            try await server.client().delete(domain: dc.domain)
            let cloudless = try checks(try await aadkerb(["doctor"] + args + ["-o", "json"]))
            #expect(cloudless["cloud-object"]?.Status == "Fail")
            #expect(cloudless["cloud-object"]?.Fix?.contains("aadkerb set") == true)

            // Nothing configured at all.
            try await Seeder.remove(dc, c)
            let empty = try await aadkerb(["doctor"] + dc.connectionArguments + ["-o", "json"])
            #expect(empty.status == 9)
            #expect(try checks(empty)["objects"]?.Status == "Fail")

            // A DC that cannot be reached is a failed check, not a crash.
            let gone = try await aadkerb(["doctor", "--domain", dc.domain, "--server", "ldaps://\(dc.ip):1", "--ca-file", dc.caFile,
                                    "--user", "Administrator", "--password-file", dc.passwordFile, "--connect-timeout", "2", "-o", "json"])
            #expect(gone.status == 9)
            #expect(try checks(gone)["connect"]?.Status == "Fail")
        }
    }
}
