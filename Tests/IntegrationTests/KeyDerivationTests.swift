import AADKerbCore
import Foundation
import LDAPClient
import Testing

/// The key aadkerb derives from a password against the keys the DC stores, read from Samba's
/// database by Samba's own Python bindings (scripts/oracle/samba-keys.py).
@Suite struct KeyDerivationTests {
    func hex(_ password: String, salt: String) throws -> String {
        try KerberosKey.aes256(password: Secret(password), salt: salt).withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
    }

    func storedKeys(_ dc: DomainController, _ sam: String) throws -> [String: Any] {
        let oracle = try run(URL(fileURLWithPath: "/usr/bin/python3"), [Paths.packageRoot.path + "/scripts/oracle/samba-keys.py", dc.dir, sam])
        #expect(oracle.status == 0, "\(oracle.stderr)")
        return try jsonObject(oracle.stdout)
    }

    @Test func derivedKeysEqualTheKeysTheDCStoresForAnAccount() async throws {
        let dc = try await Fixture.shared.dc("fabrikam")
        let c = try await dc.adminConnection()
        let ou = try await dc.scratchOU(c)
        let sam = "k\(UUID().uuidString.prefix(8).lowercased())"
        let dn = "CN=\(sam),\(ou)"
        try await c.add(dn, attributes: [LDAPModification(.add, "objectClass", strings: ["user"]),
                                         LDAPModification(.add, "sAMAccountName", strings: [sam])])
        let first = "Aa1." + Seeder.randomPassword(), second = "Aa1." + Seeder.randomPassword()
        for password in [first, second] {
            try await c.modify(dn, [LDAPModification(.replace, "unicodePwd", values: [Seeder.utf16Quoted(password)])])
        }
        let stored = try storedKeys(dc, sam)
        let salt = KerberosKey.salt(realm: dc.realm, samAccountName: sam)
        #expect(stored["salt"] as? String == salt)
        #expect(stored["iterations"] as? Int == KerberosKey.defaultIterations)
        #expect((stored["keys"] as? [String]) == [try hex(second, salt: salt)])
        #expect((stored["old_keys"] as? [String]) == [try hex(first, salt: salt)])
        try await c.delete(ou, controls: [.treeDelete])
    }

    /// Samba (4.17) does not keep the password given for a krbtgt account (one with
    /// msDS-SecondaryKrbTgtNumber): its password_hash module replaces it with random UTF-16, so
    /// the stored key is not the key of the password that was set. aadkerb cannot learn an RODC
    /// krbtgt key on Samba by choosing the password; see docs/key-material.md.
    @Test func sambaReplacesTheGivenPasswordOfAnRODCKrbtgtAccount() async throws {
        let dc = try await Fixture.shared.dc("fabrikam")
        let c = try await dc.adminConnection()
        let ou = try await dc.scratchOU(c)
        let dn = "CN=krbtgt_probe,\(ou)"
        try await c.add(dn, attributes: [LDAPModification(.add, "objectClass", strings: ["user"]),
                                         LDAPModification(.add, "userAccountControl", strings: ["514"])],
                        controls: [.rodcDCPromo])
        let sam = try #require(try await c.read(dn, attributes: ["sAMAccountName"])?.string("sAMAccountName"))
        let password = Seeder.randomPassword()
        try await c.modify(dn, [LDAPModification(.replace, "unicodePwd", values: [Seeder.utf16Quoted(password)])])
        let stored = try storedKeys(dc, sam)
        let salt = KerberosKey.salt(realm: dc.realm, samAccountName: sam)
        #expect(stored["salt"] as? String == salt)
        let keys = stored["keys"] as? [String] ?? []
        #expect(keys.count == 1)
        #expect(!keys.contains(try hex(password, salt: salt)))
        try await c.delete(ou, controls: [.treeDelete])
    }
}
