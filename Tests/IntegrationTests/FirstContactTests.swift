import Foundation
import LDAPClient
import Testing

/// What a new admin types first (issue: first contact), each against a real DC.
@Suite struct FirstContactTests {
    /// --server dc1.contoso.com or --server 127.0.0.21, as adcli's -S takes it: ldaps:// to that host.
    @Test func aBareHostMeansLDAPSToIt() async throws {
        let dc = try await Fixture.shared.dc("fabrikam")
        let bare = try await aadkerb(["get", "--domain", dc.domain, "--server", dc.ip, "--ca-file", dc.caFile, "--user", "Administrator",
                                "--password-file", dc.passwordFile, "-o", "json"])
        #expect([0, 3, 4, 5].contains(bare.status), "\(bare.stdout)\n\(bare.stderr)")
        #expect(try decodeOutput(GetOutput.self, bare.stdout).DomainDnsName == dc.domain)
        let wrongScheme = try await aadkerb(["get", "--domain", dc.domain, "--server", "http://\(dc.ip)", "--user", "x", "--password-stdin"], stdin: "x\n")
        #expect(wrongScheme.status == 64 && wrongScheme.stderr.contains("ldaps:// (TLS) or ldap://"), "\(wrongScheme.stderr)")
    }

    /// --kerberos with the default ldaps:// scheme: reached as a sealed ldap:// on the same host.
    @Test func kerberosOnLDAPSIsSealedLDAPToTheSameHost() async throws {
        let dc = try await Fixture.shared.dc("contoso")
        let result = try await dc.aadkerbWithKerberos(["get", "--domain", dc.domain, "--server", "ldaps://\(dc.fqdn)", "--kerberos", "-o", "json"],
                                                tickets: .tgt)
        #expect([0, 3, 4, 5].contains(result.status), "\(result.stdout)\n\(result.stderr)")
        let withPort = try await dc.aadkerbWithKerberos(["get", "--domain", dc.domain, "--server", "ldaps://\(dc.fqdn):636", "--kerberos"], tickets: .tgt)
        #expect(withPort.status == 64 && withPort.stderr.contains("--server ldap://<host>:<ldap port>"), "\(withPort.stderr)")
    }

    /// A DC of another domain: said before any bind (exit 16), not as "Invalid credentials 52e".
    @Test func theWrongDomainIsNamedBeforeTheBind() async throws {
        let contoso = try await Fixture.shared.dc("contoso")
        let result = try await aadkerb(["get", "--domain", "fabrikam.com", "--server", contoso.uri, "--ca-file", contoso.caFile,
                                  "--user", "Administrator", "--password-file", contoso.passwordFile])
        #expect(result.status == 16, "\(result.stderr)")
        #expect(result.stderr.contains("contoso.corp.com") && !result.stderr.contains("52e"), "\(result.stderr)")
    }

    /// AD's bind sub-status in words: a wrong password says so.
    @Test func aWrongPasswordSaysSo() async throws {
        let dc = try await Fixture.shared.dc("fabrikam")
        let result = try await aadkerb(["get", "--domain", dc.domain, "--server", dc.uri, "--ca-file", dc.caFile, "--user", "Administrator",
                                  "--password-stdin"], stdin: "not-the-password\n")
        #expect(result.status == 10 && result.stderr.contains("wrong user name or password"), "\(result.stderr)")
        #expect(LDAPError(code: .invalidCredentials, diagnosticMessage: "80090308: LdapErr: DSID-0C09041C, comment: AcceptSecurityContext error, data 775, v4563",
                          operation: "bind").description.contains("the account is locked out"))
    }

    /// `rotate --min-age 30`: thirty what? A usage error, not thirty seconds.
    @Test func aDurationWithoutAUnitIsAUsageError() async throws {
        let result = try await aadkerb(["rotate", "--domain", "contoso.corp.com", "--tenant", "t", "--min-age", "30"])
        #expect(result.status == 64 && result.stderr.contains("--min-age"), "\(result.stderr)")
        let zero = try await aadkerb(["rotate", "--domain", "contoso.corp.com", "--tenant", "t", "--wait", "0", "--min-age", "30d"])
        #expect(zero.status != 64 || !zero.stderr.contains("--wait"), "0 needs no unit: \(zero.stderr)")
    }

    /// A mistyped command or option gets "did you mean", exit 64.
    @Test func mistypesGetDidYouMean() async throws {
        let command = try await aadkerb(["gte", "--domain", "x.com"])
        #expect(command.status == 64 && command.stderr.contains("unknown command 'gte'; did you mean 'get'?"), "\(command.stderr)")
        let option = try await aadkerb(["get", "--domian", "x.com"])
        #expect(option.status == 64 && option.stderr.contains("unknown option '--domian'; did you mean '--domain'?"), "\(option.stderr)")
        let nested = try await aadkerb(["policy", "shwo"])
        #expect(nested.status == 64 && nested.stderr.contains("did you mean 'show'?"), "\(nested.stderr)")
        // real commands and options, positional arguments and --opt=value pass through
        #expect(try await aadkerb(["policy", "explain", "--help"]).status == 0)
        #expect(try await aadkerb(["get", "--domain=x.com", "--help"]).status == 0)
    }

    /// A log file that cannot be opened: one clean message, no raw logging line.
    @Test func aBadLogFileIsOneCleanMessage() async throws {
        let result = try await aadkerb(["get", "--domain", "x.com", "--log-file", "/nonexistent/dir/x.log", "--user", "a", "--password-stdin"], stdin: "x\n")
        #expect(result.status == 66, "\(result.stderr)")
        #expect(result.stderr == "aadkerb: error: cannot open the log file /nonexistent/dir/x.log: No such file or directory\n", "\(result.stderr)")
    }
}
