import CKrb5
import Foundation
import TestSupport
import Basics
import Testing
@testable import Tickets

/// Against a real Samba AD DC started with scripts/samba-dc and configured with `aadkerb set`,
/// named by AADKERB_TICKETS_TEST_DC_DIR (e.g. /tmp/aadkerb-dc-tickets/tktlab). Without it these
/// tests FAIL: the exchange is only proven against a real KDC. Needs root (the DC's sam.ldb is
/// read with Samba's Python bindings, /usr/bin/python3, for krbtgt_AzureAD's key).
///
/// The test users are created here if missing: tkt-alice (Domain Users), tkt-bob (Domain
/// Admins, which aadkerb's reveal policy denies), tkt-disabled (userAccountControl 514).
enum LiveDC {
    static let variable = "AADKERB_TICKETS_TEST_DC_DIR"
    static let packageRoot = Support.testsDirectory.deletingLastPathComponent().deletingLastPathComponent()

    struct Config {
        var dir: String
        var ip: String
        var realm: String
        var dnsDomain: String
        var baseDN: String
        var fqdn: String
        var adminPasswordFile: String { dir + "/admin.pass" }
        var krb5Config: String { dir + "/krb5.conf" }
    }

    struct User {
        var name: String
        var sid: SecurityIdentifier
    }

    struct Fixture {
        var config: Config
        var rodcNumber: Int
        var keyVersion: Int
        var key: Secret
        var domainKrbtgtKvno: Int
        var alice: User
        var bob: User
        var disabled: User
        var domainSID: SecurityIdentifier
    }

    static func config() throws -> Config {
        guard let dir = ProcessInfo.processInfo.environment[variable], !dir.isEmpty else {
            throw TestFailure("""
                \(variable) is not set. The Tickets live tests need a running Samba DC configured by aadkerb:
                  AADKERB_DC_ROOT=/tmp/aadkerb-dc-tickets scripts/samba-dc start tktlab tktlab.test 127.0.0.71
                  eval "$(AADKERB_DC_ROOT=/tmp/aadkerb-dc-tickets scripts/samba-dc env tktlab)"
                  aadkerb set --domain tktlab.test --server ldaps://127.0.0.71 --ca-file $DC_CACERT --user Administrator --password-file $DC_ADMIN_PASSWORD_FILE
                  export \(variable)=/tmp/aadkerb-dc-tickets/tktlab
                """)
        }
        let settings = try FixtureSettings(contentsOf: dir + "/dc.conf")
        func value(_ k: String) throws -> String { try settings.value(k) }
        return Config(dir: dir, ip: try value("IP"), realm: try value("REALM"), dnsDomain: try value("DNSDOMAIN"),
                      baseDN: try value("BASEDN"), fqdn: try value("FQDN"))
    }

    /// Set up once for all tests (users created if missing, keys read).
    static let fixture = Task<Fixture, any Error> { try await makeFixture() }

    static func makeFixture() async throws -> Fixture {
        let c = try config()
        let krbtgtDN = "CN=krbtgt_AzureAD,CN=Users,\(c.baseDN)"
        guard let number = try await attribute("msDS-SecondaryKrbTgtNumber", of: krbtgtDN, c).flatMap(Int.init),
              let version = try await attribute("msDS-KeyVersionNumber", of: krbtgtDN, c).flatMap(Int.init),
              let sam = try await attribute("sAMAccountName", of: krbtgtDN, c)
        else { throw TestFailure("\(krbtgtDN) is missing or incomplete: run `aadkerb set` against the DC first") }
        let key = try await azureADKey(sam, c)
        let domainKvno = try await attribute("msDS-KeyVersionNumber", of: "CN=krbtgt,CN=Users,\(c.baseDN)", c).flatMap(Int.init) ?? -1

        let alice = try await user("tkt-alice", uac: 512, c)
        let bob = try await user("tkt-bob", uac: 512, c)
        let admins = "CN=Domain Admins,CN=Users,\(c.baseDN)"
        let members = try await ldap("ldapsearch", ["-LLL", "-o", "ldif-wrap=no", "-b", admins, "-s", "base", "(objectClass=*)", "member"], c)
        if !members.contains("CN=tkt-bob,") {
            try await ldap("ldapmodify", [], c, ldif: "dn: \(admins)\nchangetype: modify\nadd: member\nmember: CN=tkt-bob,CN=Users,\(c.baseDN)\n")
        }
        let disabled = try await user("tkt-disabled", uac: 514, c)
        let domainSID = alice.sid.split!.domain
        return Fixture(config: c, rodcNumber: number, keyVersion: version, key: key, domainKrbtgtKvno: domainKvno,
                       alice: alice, bob: bob, disabled: disabled, domainSID: domainSID)
    }

    /// krbtgt_AzureAD's current AES-256 key, read from the DC's sam.ldb by scripts/oracle/samba-keys.py
    /// (Samba's own Python bindings). Its output comes through a pipe, never a file.
    static func azureADKey(_ sam: String, _ c: Config) async throws -> Secret {
        var r = try await ChildProcess.run("/usr/bin/python3", [packageRoot.appendingPathComponent("scripts/oracle/samba-keys.py").path, c.dir, sam])
        defer { for i in r.output.indices { r.output[i] = 0 } }
        guard r.status == 0 else { throw TestFailure("samba-keys.py \(sam) exited \(r.status) (root needed?): \(r.stderr)") }
        struct Keys: Decodable { var keys: [String] }
        guard let hex = try JSONDecoder().decode(Keys.self, from: Data(r.output)).keys.first, hex.count == 64 else {
            throw TestFailure("samba-keys.py found no AES-256 key for \(sam)")
        }
        guard var bytes = Hex.bytes(hex) else { throw TestFailure("samba-keys.py printed a key that is not hex") }
        defer { for i in bytes.indices { bytes[i] = 0 } }
        return Secret(bytes: bytes)
    }

    /// `CN=<name>,CN=Users` with sAMAccountName <name>, created if missing; its objectSid.
    static func user(_ name: String, uac: Int, _ c: Config) async throws -> User {
        let dn = "CN=\(name),CN=Users,\(c.baseDN)"
        if try await attribute("objectSid", of: dn, c) == nil {
            let password = "Aa1." + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16)
            let pwd = Data(Array("\"\(password)\"".utf16).flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }).base64EncodedString()
            try await ldap("ldapadd", [], c, ldif: "dn: \(dn)\nobjectClass: user\nsAMAccountName: \(name)\nuserAccountControl: \(uac)\nunicodePwd:: \(pwd)\n")
        }
        guard let b64 = try await attribute("objectSid", of: dn, c), let raw = Data(base64Encoded: b64), raw.count >= 8 else {
            throw TestFailure("no objectSid for \(dn)")
        }
        let bytes = Array(raw)
        let authority = bytes[2..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let subs = stride(from: 8, to: bytes.count, by: 4).map { i in
            UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
        }
        return User(name: name, sid: SecurityIdentifier(revision: bytes[0], authority: authority, subAuthorities: subs))
    }

    /// One attribute of `dn` (base64 for binary ones), nil when the object or attribute is missing.
    static func attribute(_ name: String, of dn: String, _ c: Config) async throws -> String? {
        let out: String
        do { out = try await ldap("ldapsearch", ["-LLL", "-o", "ldif-wrap=no", "-b", dn, "-s", "base", "(objectClass=*)", name], c) } catch {
            if "\(error)".contains("No such object") { return nil }
            throw error
        }
        for line in out.split(separator: "\n") {
            if line.hasPrefix("\(name):: ") { return String(line.dropFirst(name.count + 3)) }
            if line.hasPrefix("\(name): ") { return String(line.dropFirst(name.count + 2)) }
        }
        return nil
    }

    /// ldapadd / ldapmodify / ldapsearch as Administrator over LDAPS (password from the DC's
    /// 0600 file, never argv); LDIF goes through a 0600 file in a private directory.
    @discardableResult
    static func ldap(_ tool: String, _ arguments: [String], _ c: Config, ldif: String? = nil) async throws -> String {
        var args = ["-x", "-H", "ldaps://\(c.ip)", "-D", "Administrator@\(c.dnsDomain)", "-y", c.adminPasswordFile] + arguments
        let dir = try Support.privateDirectory("tickets-ldif")
        defer { try? FileManager.default.removeItem(at: dir) }
        if let ldif {
            let f = dir.appendingPathComponent("change.ldif")
            _ = FileManager.default.createFile(atPath: f.path, contents: Data(ldif.utf8), attributes: [.posixPermissions: 0o600])
            args += ["-f", f.path]
        }
        let r = try await ChildProcess.run("/usr/bin/" + tool, args, environment: ["LDAPTLS_CACERT": c.dir + "/tls/ca.pem", "LDAPTLS_REQCERT": "demand"])
        guard r.status == 0 else { throw TestFailure("\(tool) exited \(r.status): \(r.stderr)") }
        return r.stdout
    }
}

extension TicketsSuites {
@Suite struct LiveDCTests {
    func fixture() async throws -> LiveDC.Fixture { try await LiveDC.fixture.value }

    func mint(_ f: LiveDC.Fixture, _ user: LiveDC.User, rodcNumber: Int? = nil, keyVersion: Int? = nil, key: Secret? = nil) throws -> PartialTGT {
        try PartialTGT.mint(realm: f.config.realm, userName: user.name, userSID: user.sid, rodcNumber: rodcNumber ?? f.rodcNumber,
                            keyVersion: keyVersion ?? f.keyVersion, key: key ?? f.key)
    }

    func exchange(_ f: LiveDC.Fixture, _ tgt: PartialTGT, for service: PrincipalName? = nil) throws -> ExchangeOutcome {
        try TicketExchange(kdc: f.config.ip, timeout: .seconds(10)).exchange(tgt, for: service ?? .krbtgt(realm: f.config.realm))
    }

    @Test func theDCIsNamed() async throws {
        _ = try LiveDC.config()
        _ = try await fixture()
    }

    @Test func aliceGetsAFullTGTAndAnLDAPTicket() async throws {
        let f = try await fixture()
        let tgt = try mint(f, f.alice)
        #expect(try exchange(f, tgt) == .issued(kvno: f.domainKrbtgtKvno, etype: 18, server: .krbtgt(realm: f.config.realm)))
        let ldap = try exchange(f, tgt, for: PrincipalName("ldap/\(f.config.fqdn)"))
        guard case .issued(_, let etype, let server) = ldap else { Issue.record("ldap/: \(ldap)"); return }
        #expect(etype == 18 && server == PrincipalName("ldap/\(f.config.fqdn)"))
    }

    @Test func bobADomainAdminIsRevoked() async throws {
        let f = try await fixture()
        guard case .refused(let code, _) = try exchange(f, try mint(f, f.bob)) else { Issue.record("bob was issued a ticket"); return }
        #expect(code == .tgtRevoked)
    }

    @Test func aDisabledUserIsPolicy() async throws {
        let f = try await fixture()
        guard case .refused(let code, _) = try exchange(f, try mint(f, f.disabled)) else { Issue.record("issued"); return }
        #expect(code == .policy)
    }

    @Test func anUnknownUserIsClientPrincipalUnknown() async throws {
        let f = try await fixture()
        let ghost = LiveDC.User(name: "tkt-nobody", sid: SecurityIdentifier(authority: 5, subAuthorities: f.domainSID.subAuthorities + [987_654]))
        guard case .refused(let code, _) = try exchange(f, try mint(f, ghost)) else { Issue.record("issued"); return }
        #expect(code == .clientPrincipalUnknown)
    }

    @Test func theWrongKeyIsBadIntegrity() async throws {
        let f = try await fixture()
        let wrong = Secret(bytes: (0..<32).map { _ in UInt8.random(in: 0...255) })
        guard case .refused(let code, _) = try exchange(f, try mint(f, f.alice, key: wrong)) else { Issue.record("issued"); return }
        #expect(code == .badIntegrity)
    }

    @Test func aWrongKeyVersionIsBadKeyVersion() async throws {
        let f = try await fixture()
        guard case .refused(let code, _) = try exchange(f, try mint(f, f.alice, keyVersion: f.keyVersion + 7)) else { Issue.record("issued"); return }
        #expect(code == .badKeyVersion)
    }

    @Test func anUnknownRODCNumberIsNotUs() async throws {
        let f = try await fixture()
        let other = f.rodcNumber == 0xffff ? 1 : f.rodcNumber + 1
        guard case .refused(let code, _) = try exchange(f, try mint(f, f.alice, rodcNumber: other)) else { Issue.record("issued"); return }
        #expect(code == .notUs)
    }

    /// Samba 4.17 does not implement KERB-KEY-LIST-REQ: it issues the full TGT without padata 162.
    @Test func sambaAnswersNoKeyList() async throws {
        let f = try await fixture()
        let probe = try TicketExchange(kdc: f.config.ip).probeKeyList(try mint(f, f.alice))
        #expect(probe.outcome == .issued(kvno: f.domainKrbtgtKvno, etype: 18, server: .krbtgt(realm: f.config.realm)))
        #expect(!probe.supported && probe.keyTypes.isEmpty)
    }

    /// MIT's own client uses the minted ticket: it is put in a credential cache FILE in a 0700
    /// directory (here only; the library writes nothing) and `kvno` asks the DC for ldap/<dc>.
    @Test func mitKvnoAcceptsTheTicket() async throws {
        let f = try await fixture()
        let tgt = try mint(f, f.alice)
        let dir = try Support.privateDirectory("tickets-ccache")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cache = "FILE:" + dir.appendingPathComponent("ccache").path
        var context: krb5_context?
        #expect(ckrb5_init(&context) == 0)
        defer { krb5_free_context(context) }
        let seconds = { (d: Date) in krb5_timestamp(truncatingIfNeeded: Int64(d.timeIntervalSince1970)) }
        let code = tgt.sessionKey.withUnsafeBytes { k in
            tgt.ticket.withUnsafeBytes { t in
                ckrb5_store_tgt(context, cache, tgt.realm, tgt.client.components[0], 18, k.baseAddress, k.count, t.baseAddress, t.count,
                                seconds(tgt.authTime), seconds(tgt.startTime), seconds(tgt.endTime), seconds(tgt.renewTill),
                                krb5_flags(bitPattern: tgt.flags))
            }
        }
        #expect(code == 0)
        let service = "ldap/\(f.config.fqdn)@\(f.config.realm)"
        let r = try await ChildProcess.run("/usr/bin/kvno", ["-c", cache, service], environment: ["KRB5_CONFIG": f.config.krb5Config])
        #expect(r.status == 0, "kvno: \(r.stderr)")
        #expect(r.stdout.contains("\(service): kvno = "), "kvno printed: \(r.stdout)")
        // klist sees both: the partial TGT and the service ticket the DC gave for it.
        let l = try await ChildProcess.run("/usr/bin/klist", ["-c", cache], environment: ["KRB5_CONFIG": f.config.krb5Config])
        #expect(l.stdout.contains("krbtgt/\(f.config.realm)@\(f.config.realm)") && l.stdout.contains(service))
    }
}
}
