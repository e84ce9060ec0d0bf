import Foundation
import TestSupport
import Basics
import Testing
@testable import DRSClient

/// Against a real Samba AD DC started with scripts/samba-dc, named by AADKERB_DRS_TEST_DC_DIR
/// (e.g. /tmp/aadkerb-dc/drs). The keys read over DRSUAPI must equal what Samba holds in its
/// database, read by scripts/oracle/samba-keys.py with Samba's own Python bindings (as root).
enum LiveDC {
    static let directory = ProcessInfo.processInfo.environment["AADKERB_DRS_TEST_DC_DIR"].flatMap { $0.isEmpty ? nil : $0 }
    static var enabled: Bool { directory != nil }
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Config {
        var ip: String
        var netbiosDomain: String
        var dnsDomain: String
        var baseDN: String
        var dir: String
        var adminPasswordFile: String { dir + "/admin.pass" }
        var adminPassword: Secret {
            get throws { Secret(try String(contentsOfFile: adminPasswordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
    }

    /// dc.conf holds shell assignments: KEY='value'.
    static func config() throws -> Config {
        let dir = try #require(directory)
        let values = try FixtureSettings(contentsOf: dir + "/dc.conf")
        return Config(ip: try values.value("IP"), netbiosDomain: try values.value("DOMAIN"),
                      dnsDomain: try values.value("DNSDOMAIN"), baseDN: try values.value("BASEDN"), dir: dir)
    }

    struct Oracle: Decodable {
        var salt: String
        var keys: [String]
        var old_keys: [String]
        var iterations: Int
    }

    static func oracle(_ samAccountName: String) async throws -> Oracle {
        let c = try config()
        let out = try await run("/usr/bin/python3", [packageRoot.appendingPathComponent("scripts/oracle/samba-keys.py").path, c.dir, samAccountName])
        return try JSONDecoder().decode(Oracle.self, from: Data(out.utf8))
    }

    /// Runs a program through the tests' one runner (TestSupport's `ChildProcess`: output
    /// collected whole, so no pipe can fill up); throws on a non-zero exit.
    @discardableResult
    static func run(_ program: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> String {
        let r = try await ChildProcess.run(program, arguments, environment: environment)
        guard r.status == 0 else { throw LiveError("\(program) \(arguments.first ?? "") exited \(r.status): \(r.stderr)") }
        return r.stdout
    }

    /// ldapadd / ldapmodify / ldapsearch as Administrator over LDAPS; LDIF goes through a 0600 file.
    @discardableResult
    static func ldap(_ tool: String, _ arguments: [String] = [], ldif: String? = nil) async throws -> String {
        let c = try config()
        var args = ["-x", "-H", "ldaps://\(c.ip)", "-D", "Administrator@\(c.dnsDomain)", "-y", c.adminPasswordFile] + arguments
        var file: URL?
        if let ldif {
            let f = FileManager.default.temporaryDirectory.appendingPathComponent("drs-live-\(UUID().uuidString).ldif")
            _ = FileManager.default.createFile(atPath: f.path, contents: Data(ldif.utf8), attributes: [.posixPermissions: 0o600])
            args += ["-f", f.path]
            file = f
        }
        defer { if let file { try? FileManager.default.removeItem(at: file) } }
        return try await run("/usr/bin/" + tool, args, environment: ["LDAPTLS_CACERT": c.dir + "/tls/ca.pem", "LDAPTLS_REQCERT": "demand"])
    }

    static func attribute(_ name: String, of dn: String) async throws -> String? {
        let out = try await ldap("ldapsearch", ["-LLL", "-o", "ldif-wrap=no", "-b", dn, "-s", "base", "(objectClass=*)", name])
        return out.split(separator: "\n").first { $0.hasPrefix("\(name): ") }.map { String($0.dropFirst(name.count + 2)) }
    }

    static func exists(_ dn: String) async -> Bool { (try? await attribute("objectClass", of: dn)) != nil }

    /// `CN=<cn>,CN=Users` made as the product makes krbtgt_AzureAD (RODC dcpromo control) if it is
    /// not there, then its password reset once; returns its DN and the sAMAccountName Samba gave it.
    static func freshRODCKrbtgt(_ cn: String) async throws -> (dn: String, sam: String) {
        let dn = "CN=\(cn),CN=Users,\(try config().baseDN)"
        if !(await exists(dn)) {
            try await ldap("ldapadd", ["-e", "1.2.840.113556.1.4.1341"], ldif: "dn: \(dn)\nobjectClass: user\nuserAccountControl: 514\n")
        }
        try await ldap("ldapmodify", ldif: "dn: \(dn)\nchangetype: modify\nreplace: unicodePwd\nunicodePwd:: \(unicodePwd(randomPassword()))\n")
        return (dn, try #require(try await attribute("sAMAccountName", of: dn)))
    }

    /// A fresh password that meets AD's complexity rules.
    static func randomPassword() -> String { "Aa1." + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16) }

    /// unicodePwd as LDIF wants it: the quoted password in UTF-16LE, base64.
    static func unicodePwd(_ password: String) -> String { Data(UTF16LE.encode("\"\(password)\"")).base64EncodedString() }

    static func keys(_ dn: String, user: String = "Administrator", domain: String? = nil, password: Secret? = nil, port: UInt16? = nil) async throws -> ReplicatedKerberosKeys {
        let c = try config()
        return try await DRSSecretReader.readKeys(host: c.ip, port: port,
                                                  signIn: .ntlm(user: user, domain: domain ?? c.netbiosDomain, password: try password ?? c.adminPassword),
                                                  objectDN: dn, timeout: .seconds(20))
    }
}

struct LiveError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

extension [KerberosKeyBlob] {
    func hex(ofType type: Int32) -> [String] {
        filter { $0.encryptionType == type }.map { $0.key.withUnsafeBytes { [UInt8]($0).hex } }
    }
}

@Suite(.serialized, .enabled(if: LiveDC.enabled, "needs AADKERB_DRS_TEST_DC_DIR: a DC directory of scripts/samba-dc, running"))
struct LiveDCTests {
    @Test func theDomainsKrbtgtKeysEqualWhatSambaHolds() async throws {
        let c = try LiveDC.config()
        let keys = try await LiveDC.keys("CN=krbtgt,CN=Users,\(c.baseDN)")
        let oracle = try await LiveDC.oracle("krbtgt")
        #expect(keys.salt == oracle.salt)
        #expect(keys.current.hex(ofType: 18) == oracle.keys)
        #expect(keys.previous.hex(ofType: 18) == oracle.old_keys)
        #expect(keys.current.allSatisfy { $0.iterationCount == UInt32(oracle.iterations) })
        #expect(keys.current.map(\.encryptionType).contains(17))
    }

    /// An account like krbtgt_AzureAD, made as the product makes it (RODC dcpromo control, so Samba gives it
    /// msDS-SecondaryKrbTgtNumber and random keys), then a password reset, which Samba replaces by
    /// random bytes again: both the new and the previous key must be read, with the key version.
    @Test func anRODCKrbtgtAccountsCurrentAndPreviousKeysEqualWhatSambaHolds() async throws {
        let c = try LiveDC.config()
        // Not krbtgt_AzureAD itself: the DC may be shared with tests of the real objects.
        let (dn, sam) = try await LiveDC.freshRODCKrbtgt("drs-test-krbtgt")
        #expect(sam.hasPrefix("krbtgt_"))

        // The DNS domain name works for NTLM as well as the NetBIOS one.
        let keys = try await LiveDC.keys(dn, domain: c.dnsDomain)
        let oracle = try await LiveDC.oracle(sam)
        #expect(keys.salt == oracle.salt && keys.salt == c.dnsDomain.uppercased() + sam)
        #expect(keys.current.hex(ofType: 18) == oracle.keys)
        #expect(keys.previous.hex(ofType: 18) == oracle.old_keys)
        #expect(!oracle.old_keys.isEmpty)
        let kvno = try await LiveDC.attribute("msDS-KeyVersionNumber", of: dn)
        #expect(keys.keyVersion.map { String($0) } == kvno)
    }

    @Test func aWrongPasswordFailsAtBindAuth() async throws {
        let c = try LiveDC.config()
        let e = try await #require(throws: DRSError.self) {
            _ = try await LiveDC.keys("CN=krbtgt,CN=Users,\(c.baseDN)", password: Secret(LiveDC.randomPassword()))
        }
        #expect(e.step == .authentication)
        #expect(e.description.hasPrefix("DRS bind/auth failed"))
        #expect(e.detail.contains("Administrator"))
    }

    @Test func aMissingObjectIsNamedByTheDC() async throws {
        let c = try LiveDC.config()
        let e = try await #require(throws: DRSError.self) {
            _ = try await LiveDC.keys("CN=no such account,CN=Users,\(c.baseDN)")
        }
        #expect(e.step == .getNCChanges && e.statusName == "WERR_DS_DRA_BAD_DN")
    }

    /// An ordinary user may not replicate secrets, not even its own.
    @Test func anUnprivilegedUserIsRefused() async throws {
        let c = try LiveDC.config()
        let dn = "CN=drs-test-user,CN=Users,\(c.baseDN)"
        let password = LiveDC.randomPassword()
        if await LiveDC.exists(dn) {
            try await LiveDC.ldap("ldapmodify", ldif: "dn: \(dn)\nchangetype: modify\nreplace: unicodePwd\nunicodePwd:: \(LiveDC.unicodePwd(password))\n")
        } else {
            try await LiveDC.ldap("ldapadd", ldif: "dn: \(dn)\nobjectClass: user\nsAMAccountName: drs-test-user\nuserAccountControl: 512\nunicodePwd:: \(LiveDC.unicodePwd(password))\n")
        }
        let e = try await #require(throws: DRSError.self) {
            _ = try await LiveDC.keys(dn, user: "drs-test-user", password: Secret(password))
        }
        #expect(e.step == .getNCChanges && e.statusName == "WERR_DS_DRA_ACCESS_DENIED")
    }

    /// With 1432-byte fragments (the least a server may offer) Samba splits the reply; each
    /// fragment is unsealed and checked on its own and the stub reassembled.
    @Test func smallFragmentsAreReassembled() async throws {
        let c = try LiveDC.config()
        let password = try c.adminPassword
        let keys = try await Task.detached {
            var s = Session(host: c.ip, port: nil, deadline: .now + .seconds(20), cancellation: CancellationSwitch())
            s.fragmentSize = 1432
            return try s.readKeys(signIn: .ntlm(user: "Administrator", domain: c.netbiosDomain, password: password), objectDN: "CN=krbtgt,CN=Users,\(c.baseDN)")
        }.value
        #expect(keys.current.hex(ofType: 18) == (try await LiveDC.oracle("krbtgt")).keys)
    }

    @Test func aGivenPortSkipsTheEndpointMapper() async throws {
        let c = try LiveDC.config()
        // Samba serves DRSUAPI on the ports of its RPC server; ask the endpoint mapper's answer directly.
        let port = try await Task.detached {
            let s = Session(host: c.ip, port: nil, deadline: .now + .seconds(10), cancellation: CancellationSwitch())
            return try s.endpoint()
        }.value
        let keys = try await LiveDC.keys("CN=krbtgt,CN=Users,\(c.baseDN)", user: "Administrator@\(c.dnsDomain)", port: port)
        #expect(keys.current.hex(ofType: 18) == (try await LiveDC.oracle("krbtgt")).keys)
    }
}
