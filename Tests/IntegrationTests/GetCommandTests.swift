import Foundation
import TestSupport
import LDAPClient
import Testing

extension SharedServers {
    /// `aadkerb get` against a real Samba AD DC, as a user runs it. Serialized: the tests that seed
    /// or break the objects of contoso.corp.com must not interleave.
    @Suite struct GetCommandTests {
        @Test func seededDomainMatchesAnIndependentReadWithLdapsearch() async throws {
            let dc = try await Fixture.shared.dc("contoso")
            try await Seeder.seed(dc, passwordResets: 2)

            let result = try await aadkerb(["get"] + dc.connectionArguments + ["--output", "json"])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            let got = try decodeOutput(GetOutput.self, result.stdout)

            let oracleRun = try await run(URL(fileURLWithPath: "/usr/bin/python3"),
                                    [Paths.oracle.path, dc.uri, dc.caFile, dc.adminUPN, dc.passwordFile, dc.baseDN])
            #expect(oracleRun.status == 0, "oracle: \(oracleRun.stderr)")
            let expected = try JSONDecoder().decode(OnPremOracle.self, from: Data(oracleRun.stdout.utf8))

            #expect(got.ComputerAccount == expected.ComputerAccount && got.ComputerAccount != nil)
            #expect(got.UserAccount == expected.UserAccount && got.UserAccount != nil)
            #expect(got.ServiceConnectionPoint == expected.ServiceConnectionPoint && got.ServiceConnectionPoint != nil)
            #expect(got.DisplayName == expected.DisplayName)
            #expect(got.Id == expected.Id)
            #expect(got.Kvno == expected.Kvno)
            #expect(got.KeyVersion == expected.KeyVersion && got.KeyVersion != nil)
            #expect(got.KeyUpdatedOn == expected.KeyUpdatedOn && got.KeyUpdatedOn != nil)
            #expect(got.KeyUpdatedFrom == expected.KeyUpdatedFrom && got.KeyUpdatedFrom != nil)
            #expect(got.KeyUpdatedFromInvocationId == expected.KeyUpdatedFromInvocationId && got.KeyUpdatedFromInvocationId != nil)
            #expect(got.DomainController == expected.DomainController && got.DomainController != nil)
            // The DC assigned the number and the name; created (kvno 1) then two resets.
            let id = try #require(got.Id)
            #expect(got.DisplayName == "krbtgt_\(id)")
            #expect(got.Kvno == 3)
            #expect(got.KeyUpdatedFrom == dc.fqdn)
            #expect(got.Status == "Configured")
            #expect(got.DomainDnsName == dc.domain)
            #expect(got.Problems == [])
            #expect(got.SchemaVersion == 1)
        }

        /// msDS-KrbTgtLink names the account that holds the key: renamed away from
        /// CN=krbtgt_AzureAD (the DC rewrites the link), the account is still read, through the link.
        @Test func aRenamedKrbtgtAccountIsReadThroughTheComputersLink() async throws {
            let dc = try await Fixture.shared.dc("contoso")
            let c = try await Seeder.seed(dc, passwordResets: 1)
            let renamed = "CN=krbtgt_AzureAD_renamed,CN=Users,\(dc.baseDN)"
            let rename = try await run(URL(fileURLWithPath: "/usr/bin/ldapmodrdn"),
                                 ["-x", "-H", dc.uri, "-D", dc.adminUPN, "-y", dc.passwordFile, "-r",
                                  "CN=krbtgt_AzureAD,CN=Users,\(dc.baseDN)", "CN=krbtgt_AzureAD_renamed"],
                                 environment: ["LDAPTLS_CACERT": dc.caFile])
            try #require(rename.status == 0, "ldapmodrdn: \(rename.stderr)")

            // nothing below throws before the account is deleted again
            let result = try? await aadkerb(["get"] + dc.connectionArguments + ["-o", "json"])
            let got = try? decodeOutput(GetOutput.self, result?.stdout ?? "")
            #expect(got?.UserAccount == renamed, "\(result?.stdout ?? "") \(result?.stderr ?? "")")
            #expect(got?.Kvno == 2)
            #expect(got?.KeyUpdatedFrom == dc.fqdn)
            #expect(got?.Status == "Configured")
            #expect(got?.Problems == [], "\(got?.Problems ?? [])")
            try await c.delete(renamed)
        }

        @Test func anotherKeyResetMovesKeyVersionAndKvnoForward() async throws {
            let dc = try await Fixture.shared.dc("contoso")
            let c = try await Seeder.seed(dc, passwordResets: 1)
            let before = try decodeOutput(GetOutput.self, try await aadkerb(["get"] + dc.connectionArguments + ["-o", "json"]).stdout)
            try await c.modify("CN=krbtgt_AzureAD,CN=Users,\(dc.baseDN)",
                               [LDAPModification(.replace, "unicodePwd", values: [Seeder.utf16Quoted(Seeder.randomPassword())])])
            let after = try decodeOutput(GetOutput.self, try await aadkerb(["get"] + dc.connectionArguments + ["-o", "json"]).stdout)
            #expect((after.Kvno ?? 0) == (before.Kvno ?? -1) + 1)
            #expect((after.KeyVersion ?? 0) > (before.KeyVersion ?? Int.max))
            #expect(after.Id == before.Id)
        }

        @Test func allDCsListsTheKeyVersionEachWritableDCHolds() async throws {
            let dc = try await Fixture.shared.dc("contoso")
            try await Seeder.seed(dc, passwordResets: 1)
            let plain = try decodeOutput(GetOutput.self, try await aadkerb(["get"] + dc.connectionArguments + ["-o", "json"]).stdout)
            #expect(plain.DomainControllers == nil)  // only asked for with --all-dcs (the key is present: decodeOutput)
            let result = try await aadkerb(["get", "--all-dcs"] + dc.connectionArguments + ["-o", "json"])
            #expect(result.status == 0, "\(result.stderr)")
            let got = try decodeOutput(GetOutput.self, result.stdout)
            let dcs = try #require(got.DomainControllers)
            #expect(dcs.map(\.Name) == [dc.fqdn])
            #expect(dcs.first?.Kvno == got.Kvno)
            // every key is present (decodeOutput checks the DomainControllers entries too), null when unknown
            #expect(dcs.first.map { $0.Kvno != nil && $0.Error == nil } == true, "\(result.stdout)")
            #expect(try await aadkerb(["get", "--all-dcs"] + dc.connectionArguments).stdout.contains("DC \(dc.fqdn)"))
            #expect(try await aadkerb(["get", "--all-dcs", "--cloud-only", "--domain", dc.domain]).status == 64)
        }

        @Test func tableOutputNamesEveryField() async throws {
            let dc = try await Fixture.shared.dc("contoso")
            try await Seeder.seed(dc, passwordResets: 1)
            let result = try await aadkerb(["get"] + dc.connectionArguments)
            #expect(result.status == 0, "stderr: \(result.stderr)")
            for label in ["DomainDnsName", "Status", "Id", "UserAccount", "ComputerAccount", "DisplayName",
                          "KeyVersion", "Kvno", "KeyUpdatedOn", "KeyUpdatedFrom"] {
                #expect(result.stdout.contains("\(label) "), "missing \(label) in:\n\(result.stdout)")
            }
            #expect(result.stdout.contains("Configured"))
            #expect(result.stderr.isEmpty)
        }

        @Test func eachMissingObjectMakesTheServerIncomplete() async throws {
            let dc = try await Fixture.shared.dc("contoso")
            let base = dc.baseDN
            for (dn, controls) in [("CN=900274c4-b7d2-43c8-90ee-00a9f650e335,CN=AzureAD,CN=System,\(base)", [LDAPRequestControl]()),
                                   ("CN=AzureADKerberos,OU=Domain Controllers,\(base)", []),
                                   ("CN=krbtgt_AzureAD,CN=Users,\(base)", [])] {
                let c = try await Seeder.seed(dc, passwordResets: 1)
                try await c.delete(dn, controls: controls)
                let result = try await aadkerb(["get"] + dc.connectionArguments + ["-o", "json"])
                #expect(result.status == 5, "deleting \(dn): \(result.stderr)")
                let json = try decodeOutput(GetOutput.self, result.stdout)
                #expect(json.Status == "Incomplete")
                let problems = json.Problems ?? []
                #expect(problems.contains { $0.contains(dn) }, "\(problems)")
            }
        }

        @Test func nothingConfiguredIsSaidPlainly() async throws {
            let dc = try await Fixture.shared.emptyDC("fabrikam")
            let json = try await aadkerb(["get"] + dc.connectionArguments + ["-o", "json"])
            #expect(json.status == 3)
            let got = try decodeOutput(GetOutput.self, json.stdout)
            #expect(got.Status == "NotConfigured")
            #expect(got.Problems == [])
            #expect([got.Id, got.KeyVersion, got.Kvno].allSatisfy { $0 == nil })
            #expect([got.UserAccount, got.ComputerAccount, got.DisplayName, got.KeyUpdatedOn, got.KeyUpdatedFrom].allSatisfy { $0 == nil })
            // present and null, not left out: decodeOutput checks that every key is present
            let table = try await aadkerb(["get"] + dc.connectionArguments)
            #expect(table.status == 3)
            #expect(table.stdout.contains("No Azure AD Kerberos server is configured in fabrikam.com."))
        }

        @Test func wrongPasswordIsAnAuthenticationFailureWithTheServersDiagnostic() async throws {
            let dc = try await Fixture.shared.dc("contoso")
            let result = try await aadkerb(["get", "--domain", dc.domain, "--server", dc.uri, "--ca-file", dc.caFile,
                                      "--user", "Administrator", "--password-stdin"], stdin: "not-the-password\n")
            #expect(result.status == 10)
            #expect(result.stderr.contains("Invalid credentials (49)"))
            #expect(result.stderr.contains("AcceptSecurityContext error, data 52e"))
            #expect(result.stdout.isEmpty)
            #expect(!result.stderr.contains("not-the-password"))
        }

        @Test func jsonModeReportsErrorsAsJSONToo() async throws {
            let dc = try await Fixture.shared.dc("contoso")
            let result = try await aadkerb(["get", "--domain", dc.domain, "--server", dc.uri, "--ca-file", dc.caFile,
                                      "--user", "Administrator", "-o", "json"],
                                     environment: ["AADKERB_DOMAIN_PASSWORD": "wrong"])
            #expect(result.status == 10)
            let error = try decodeOutput(ErrorOutput.self, result.stdout)
            #expect(error.Error == "authentication-failed")
            #expect(error.ExitCode == 10)
            #expect(error.Message.contains("Invalid credentials (49)"), "\(error.Message)")
        }

        @Test func passwordFromStdinAndFromTheEnvironmentBothWork() async throws {
            let dc = try await Fixture.shared.emptyDC("fabrikam")
            let password = try String(contentsOfFile: dc.passwordFile, encoding: .utf8)
            let common = ["get", "--domain", dc.domain, "--server", dc.uri, "--ca-file", dc.caFile, "--user", "Administrator"]
            #expect(try await aadkerb(common + ["--password-stdin"], stdin: password + "\n").status == 3)
            #expect(try await aadkerb(common, environment: ["AADKERB_DOMAIN_PASSWORD": password]).status == 3)
            // the user can also come from the environment, in DOMAIN\user form
            #expect(try await aadkerb(Array(common.dropLast(2)), environment: [
                "AADKERB_DOMAIN_PASSWORD": password, "AADKERB_DOMAIN_USER": "FABRIKAM\\Administrator"]).status == 3)
        }

        /// kinit, then `get --kerberos`, in a private mount namespace whose /etc/hosts names the DC
        /// (the service principal is ldap/<fqdn>); the host's /etc is untouched.
        func withKerberos(_ dc: DomainController, kinit: Bool) async throws -> ProcessResult {
            let ccache = FileManager.default.temporaryDirectory.appendingPathComponent("aadkerb-cc-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: ccache) }
            let script = """
                mount --bind "$DC_HOSTS_FILE" /etc/hosts || exit 97
                if [ "$DO_KINIT" = 1 ]; then kinit "Administrator@$DC_REALM" < "$DC_ADMIN_PASSWORD_FILE" >/dev/null || exit 98; fi
                exec "$AADKERB_BIN" get --domain "$DC_DNSDOMAIN" --server "ldap://$DC_FQDN" --kerberos -o json
                """
            var env = dc.env
            env["AADKERB_BIN"] = Paths.aadkerb.path
            env["KRB5_CONFIG"] = dc.env["DC_KRB5_CONFIG"]
            env["KRB5CCNAME"] = "FILE:" + ccache
            env["DO_KINIT"] = kinit ? "1" : "0"
            return try await run(URL(fileURLWithPath: "/usr/bin/unshare"), ["-m", "--propagation", "private", "--", "sh", "-c", script],
                           environment: env)
        }

        @Test func kerberosBindsFromTheCredentialCacheWithoutAPassword() async throws {
            let dc = try await Fixture.shared.emptyDC("fabrikam")
            let result = try await withKerberos(dc, kinit: true)
            #expect(result.status == 3, "stderr: \(result.stderr)")
            #expect(try decodeOutput(GetOutput.self, result.stdout).Status == "NotConfigured")
        }

        @Test func kerberosWithoutATicketIsAnAuthenticationFailureThatSaysKinit() async throws {
            let dc = try await Fixture.shared.dc("fabrikam")
            let result = try await withKerberos(dc, kinit: false)
            #expect(result.status == 10, "stderr: \(result.stderr)")
            #expect(result.stderr.contains("No Kerberos credentials available"))
            #expect(result.stderr.contains("kinit"))
        }

        @Test func plainLDAPWithoutStartTLSIsRefusedWithSambasMessage() async throws {
            let dc = try await Fixture.shared.dc("contoso")
            let result = try await aadkerb(["get", "--domain", dc.domain, "--server", dc.startTLSURI, "--no-starttls",
                                      "--user", "Administrator", "--password-file", dc.passwordFile])
            #expect(result.status == 14)
            #expect(result.stderr.contains("Strong(er) authentication required (8)"))
            #expect(result.stderr.contains("Transport encryption required"))
            #expect(result.stderr.contains("warning: --no-starttls with a password sends it unencrypted"))
        }

        @Test func startTLSOnPlainLDAPWorks() async throws {
            let dc = try await Fixture.shared.emptyDC("fabrikam")
            let result = try await aadkerb(["get", "--domain", dc.domain, "--server", dc.startTLSURI, "--ca-file", dc.caFile,
                                      "--user", "Administrator", "--password-file", dc.passwordFile, "-o", "json"])
            #expect(result.status == 3, "stderr: \(result.stderr)")
            // the bind went through (Samba refuses a simple bind on plain LDAP: the test above), so
            // StartTLS was made; the report names the ldap:// server and the DC that answered
            let got = try decodeOutput(GetOutput.self, result.stdout)
            #expect(got.Server == dc.startTLSURI)
            #expect(got.DomainController == dc.fqdn)
            #expect(got.DomainDnsName == dc.domain)
            #expect(got.Status == "NotConfigured")
            #expect(result.stderr.isEmpty, "no warning: the password went inside TLS: \(result.stderr)")
        }

        @Test func aSilentServerFailsWithinTheConnectTimeout() async throws {
            let listener = try SilentListener()
            for uri in ["ldaps://\(listener.host):\(listener.port)", "ldap://\(listener.host):\(listener.port)"] {
                let result = try await aadkerb(["get", "--domain", "contoso.corp.com", "--server", uri, "--connect-timeout", "1",
                                          "--timeout", "1", "--user", "a", "--password-stdin"], stdin: "x\n")
                #expect(result.status == 15, "\(uri): \(result.stderr)")
                #expect(result.stderr.contains("Timed out"))
                // A hang check, not a speed target: without the watchdog this took as long as the peer stayed.
                #expect(result.elapsed.seconds < 15, "\(uri) took \(result.elapsed)")
            }
        }

        @Test(arguments: ["contoso.corp.com)(objectClass=*", "contoso,DC=evil", "*", "contoso.corp.com\\2a", "a b.com"])
        func aHostileDomainIsRejectedBeforeAnythingIsSent(_ hostile: String) async throws {
            let listener = try SilentListener()
            let result = try await aadkerb(["get", "--domain", hostile, "--server", "ldap://\(listener.host):\(listener.port)",
                                      "--no-starttls", "--user", "a", "--password-stdin"], stdin: "x\n")
            #expect(result.status == 64)
            #expect(result.stderr.contains("is not a valid DNS domain name"))
            #expect(listener.drainConnections() == 0, "aadkerb connected to the server")
        }

        @Test func aServerOfAnotherDomainIsNamedAsSuch() async throws {
            let contoso = try await Fixture.shared.dc("contoso")
            // Bind by DN to contoso's DC while asking for fabrikam.com.
            let result = try await aadkerb(["get", "--domain", "fabrikam.com", "--server", contoso.uri, "--ca-file", contoso.caFile,
                                      "--user", contoso.adminDN, "--password-file", contoso.passwordFile])
            #expect(result.status == 16)
            #expect(result.stderr.contains("serves the domain contoso.corp.com, not fabrikam.com"))
        }

        @Test func unreadableInputFilesAreNamed() async throws {
            let dc = try await Fixture.shared.dc("contoso")
            let noCA = try await aadkerb(["get", "--domain", dc.domain, "--server", dc.uri, "--ca-file", "/nonexistent/ca.pem",
                                    "--user", "Administrator", "--password-file", dc.passwordFile])
            #expect(noCA.status == 66)
            #expect(noCA.stderr.contains("/nonexistent/ca.pem"))
            let noPassword = try await aadkerb(["get", "--domain", dc.domain, "--server", dc.uri, "--ca-file", dc.caFile,
                                          "--user", "Administrator", "--password-file", "/nonexistent/pw"])
            #expect(noPassword.status == 66)
            #expect(noPassword.stderr.contains("/nonexistent/pw"))
        }

        @Test func withoutAnyPasswordSourceOrTerminalItSaysWhereToPutIt() async throws {
            // setsid: no controlling terminal, so there is nobody to prompt.
            let result = try await run(URL(fileURLWithPath: "/usr/bin/setsid"),
                                 ["-w", Paths.aadkerb.path, "get", "--domain", "contoso.corp.com", "--server", "ldaps://127.0.0.97:1", "--user", "a"])
            #expect(result.status == 64)
            #expect(result.stderr.contains("--password-file, --password-stdin or AADKERB_DOMAIN_PASSWORD"))
        }

        @Test func completionScriptsKnowEveryCommand() async throws {
            for shell in ["bash", "zsh", "fish"] {
                let script = try await aadkerb(["--generate-completion-script", shell])
                #expect(script.status == 0)
                for word in ["rotate", "doctor", "policy", "min-age", "all-dcs", "break-lease"] {
                    #expect(script.stdout.contains(word), "\(shell) completion lacks \(word)")
                }
            }
        }

        @Test func usageErrorsUseExitCode64() async throws {
            #expect(try await aadkerb(["get"]).status == 64)
            #expect(try await aadkerb(["get", "--domain", "x.com", "--password-stdin", "--password-file", "f"]).status == 64)
            #expect(try await aadkerb(["get", "--domain", "x.com", "--output", "xml"]).status == 64)
            #expect(try await aadkerb(["get", "--domain", "x.com", "--kerberos"]).status == 64)  // needs --server
            let noUser = try await aadkerb(["get", "--domain", "x.com", "--password-stdin"], stdin: "x\n")
            #expect(noUser.status == 64)
            #expect(noUser.stderr.contains("--user"))
        }
    }
}
