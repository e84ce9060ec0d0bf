import AADKerbCore
import Foundation
import TestSupport
import Testing

extension SharedServers {
    /// No credential goes to a host that only DNS names (docs/security.md). A rogue DNS server
    /// (Tests/Fixtures/rogue_dc.py) names `rogue.<domain>` as a DC of westwind.test; an LDAPS
    /// listener there holds a certificate from westwind's own CA (as a corporate CA would issue
    /// one for any computer account) and logs every request. aadkerb may check it anonymously,
    /// and must never bind to it.
    @Suite struct RogueDCTests {
        static let dnsIP = "127.0.0.58", ldapIP = "127.0.0.59"

        struct Rogue {
            let process: Spawned
            let dir: URL
            let host: String
            var log: [String] { ((try? String(contentsOf: dir.appendingPathComponent("log"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }

            /// Kills it (no wait: a `defer` calls this; the runner reaps it) and removes its files.
            func stop() {
                process.kill()
                try? FileManager.default.removeItem(at: dir)
            }

            /// Nothing that a bind carries reached the rogue host.
            func expectNoCredentials(sourceLocation: SourceLocation = #_sourceLocation) {
                let lines = log
                #expect(!lines.contains("PASSWORD-SEEN"), "the admin's password reached \(host)", sourceLocation: sourceLocation)
                #expect(!lines.contains { $0.hasPrefix("bind") }, "a bind reached \(host): \(lines)", sourceLocation: sourceLocation)
            }
        }

        /// Starts the rogue DNS + LDAPS host for `dc`'s domain, its certificate issued by `dc`'s CA.
        func startRogue(for dc: DomainController, dnsFromOtherPort: Bool = false) async throws -> Rogue {
            let host = "rogue.\(dc.domain)"
            // scripts/test puts the rogue host in the tests' hosts file, as a DNS record would
            let resolved = try #require(Resolver.ipv4(host), "\(host) does not resolve: run the suite through scripts/test")
            try #require(resolved == Self.ldapIP, "\(host) resolves to \(resolved), not \(Self.ldapIP)")
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("aadkerb-rogue-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let openssl = URL(fileURLWithPath: "/usr/bin/openssl")
            let key = dir.appendingPathComponent("key.pem").path, csr = dir.appendingPathComponent("req.csr").path
            let cert = dir.appendingPathComponent("cert.pem").path, ext = dir.appendingPathComponent("ext.cnf").path
            try "subjectAltName=DNS:\(host)\nextendedKeyUsage=serverAuth\n".write(toFile: ext, atomically: true, encoding: .utf8)
            let request = try await run(openssl, ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=\(host)", "-keyout", key, "-out", csr])
            try #require(request.status == 0, "\(request.stderr)")
            let signed = try await run(openssl, ["x509", "-req", "-in", csr, "-CA", dc.caFile, "-CAkey", dc.dir + "/tls/ca.key",
                                           "-CAcreateserial", "-CAserial", dir.appendingPathComponent("serial").path,
                                           "-days", "1", "-extfile", ext, "-out", cert])
            try #require(signed.status == 0, "\(signed.stderr)")
            let process = try await spawn(URL(fileURLWithPath: "/usr/bin/python3"), [
                Paths.packageRoot.path + "/Tests/Fixtures/rogue_dc.py", "--dns-ip", Self.dnsIP, "--ldap-ip", Self.ldapIP,
                "--domain", dc.domain, "--target", host, "--cert", cert, "--key", key, "--password-file", dc.passwordFile,
                "--log", dir.appendingPathComponent("log").path] + (dnsFromOtherPort ? ["--dns-from-other-port"] : []))
            let rogue = Rogue(process: process, dir: dir, host: host)
            for _ in 0..<100 where !rogue.log.contains("ready") { try await Task.sleep(for: .milliseconds(50)) }
            guard rogue.log.contains("ready") else {
                rogue.stop()
                throw FixtureError("the rogue DC did not start (ports 53 and 636 on \(Self.dnsIP)/\(Self.ldapIP) in use?)")
            }
            return rogue
        }

        func rows(_ result: ProcessResult) throws -> [DcsOutput.DC] {
            let report = try decodeOutput(DcsOutput.self, result.stdout)
            try #require(!report.DomainControllers.isEmpty, "\(result.stdout)\n\(result.stderr)")
            return report.DomainControllers
        }

        @Test func dcsChecksAHostOnlyDNSNamesWithoutCredentials() async throws {
            let dc = try await Fixture.shared.dc("westwind")
            let second = try await Fixture.shared.dc("westwind2")
            let bundle = try DomainController.caBundle([dc, second])
            defer { try? FileManager.default.removeItem(atPath: bundle) }
            let rogue = try await startRogue(for: dc)
            defer { rogue.stop() }
            let args = ["--domain", dc.domain, "--server", dc.uri, "--ca-file", bundle, "--user", "Administrator",
                        "--password-file", dc.passwordFile, "--dns-server", Self.dnsIP]

            let result = try await aadkerb(["dcs"] + args + ["-o", "json"])
            rogue.expectNoCredentials()
            #expect(rogue.log.contains("dns _ldap._tcp.dc._msdcs.\(dc.domain)"), "the rogue DNS server was not asked: \(rogue.log)")
            #expect(result.status == 4, "\(result.stdout)\n\(result.stderr)")
            let list = try rows(result)
            let row = try #require(list.first { $0.Name == rogue.host }, "\(list)")
            #expect(row.InDns && !row.InDirectory && !row.Trusted, "\(row)")
            // the anonymous check reached it (TLS + root DSE): reachable, but not trusted
            #expect(row.Reachable && row.Kvno == nil, "\(row)")
            #expect(row.Error?.contains("not trusted") == true, "\(row)")
            #expect(rogue.log.contains("search"), "no anonymous check reached \(rogue.host): \(rogue.log)")
            // the directory's DCs are still signed in to and trusted
            for name in [dc.fqdn, second.fqdn] {
                let trusted = try #require(list.first { $0.Name == name }, "\(list)")
                #expect(trusted.Trusted && trusted.InDirectory && trusted.Reachable, "\(trusted)")
            }
            let table = try await aadkerb(["dcs"] + args)
            rogue.expectNoCredentials()
            #expect(table.stdout.contains("\(rogue.host)  [dns, ?") && table.stdout.contains("in DNS only: not trusted"), "\(table.stdout)")
        }

        @Test func rotateSignsInToNoHostOnlyDNSNames() async throws {
            let ctx = try await RotateTests().freshlySet(on: "westwind")
            let second = try await Fixture.shared.dc("westwind2")
            let bundle = try DomainController.caBundle([ctx.dc, second])
            defer { try? FileManager.default.removeItem(atPath: bundle) }
            let rogue = try await startRogue(for: ctx.dc)
            defer { rogue.stop() }
            let args = ["--domain", ctx.dc.domain, "--server", ctx.dc.uri, "--ca-file", bundle, "--user", "Administrator",
                        "--password-file", ctx.dc.passwordFile] + ctx.server.arguments()

            let rotated = try await aadkerb(["rotate", "--force", "--wait", "90s", "--dns-server", Self.dnsIP] + args + ["-o", "json"])
            rogue.expectNoCredentials()
            #expect(rogue.log.contains { $0.hasPrefix("dns ") }, "the rogue DNS server was not asked: \(rogue.log)")
            #expect(!rogue.log.contains("tls"), "rotate connected to \(rogue.host): \(rogue.log)")
            #expect(rotated.status == 0, "\(rotated.stdout)\n\(rotated.stderr)")
            let report = try decodeOutput(RotateOutput.self, rotated.stdout)
            let dcs = report.DomainControllers
            let row = try #require(dcs.first { $0.Name == rogue.host }, "\(dcs)")
            #expect(!row.Trusted && !row.Converged && row.Kvno == nil, "\(row)")
            #expect(row.Error?.contains("not trusted") == true, "\(row)")
            // the directory's two DCs were waited for and hold the new key
            let after = try #require(report.After?.Kvno)
            for name in [ctx.dc.fqdn, second.fqdn] {
                let state = try #require(dcs.first { $0.Name == name }, "\(dcs)")
                #expect(state.Trusted && state.Converged && state.Kvno == after, "\(state)")
            }
        }

        @Test func aDNSAnswerFromAnotherPortIsIgnored() async throws {
            let dc = try await Fixture.shared.dc("westwind")
            let rogue = try await startRogue(for: dc, dnsFromOtherPort: true)
            defer { rogue.stop() }
            let result = try await aadkerb(["dcs", "--dns-server", Self.dnsIP, "--no-ldaps-check"] + dc.connectionArguments + ["-o", "json"])
            #expect(rogue.log.contains { $0.hasPrefix("dns ") }, "the query did not reach the fake server: \(rogue.log)")
            #expect(!rogue.log.contains("tls"), "aadkerb took the spoofed answer and connected to \(rogue.host): \(rogue.log)")
            let report = try decodeOutput(DcsOutput.self, result.stdout)
            #expect(report.DnsError?.contains("no answer") == true, "\(result.stdout)")
            #expect(!report.DomainControllers.isEmpty && report.DomainControllers.allSatisfy { $0.Name != rogue.host }, "\(result.stdout)")
        }
    }
}
