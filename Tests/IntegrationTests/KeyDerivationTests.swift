import AADKerbCore
import Basics
import CKrb5
import Foundation
import LDAPClient
import Testing

/// The key aadkerb derives from a password against the keys the DC stores, read from Samba's
/// database by Samba's own Python bindings (scripts/oracle/samba-keys.py).
@Suite struct KeyDerivationTests {
    /// The AD salt of an account: UPPER(realm) + sAMAccountName (MS-KILE 3.1.1.2).
    func salt(_ dc: DomainController, _ sam: String) -> String { dc.realm.uppercased() + sam }

    /// The aes256-cts-hmac-sha1-96 key of a password, by MIT krb5's own string-to-key
    /// (krb5_c_string_to_key, default 4096 iterations): aadkerb derives no key itself (it reads
    /// the keys the DC made over DRSUAPI), so the derivation comes from a library it did not write.
    func hex(_ password: String, salt: String) throws -> String {
        var context: krb5_context?
        guard krb5_init_secure_context(&context) == 0, let context else { throw CocoaError(.featureUnsupported) }
        defer { krb5_free_context(context) }
        var key = krb5_keyblock()
        var (passwordBytes, saltBytes) = (Array(password.utf8).map { CChar(bitPattern: $0) }, Array(salt.utf8).map { CChar(bitPattern: $0) })
        let rc = passwordBytes.withUnsafeMutableBufferPointer { p in
            saltBytes.withUnsafeMutableBufferPointer { q in
                var data = krb5_data(magic: 0, length: UInt32(p.count), data: p.baseAddress)
                var saltData = krb5_data(magic: 0, length: UInt32(q.count), data: q.baseAddress)
                return krb5_c_string_to_key(context, krb5_enctype(ENCTYPE_AES256_CTS_HMAC_SHA1_96), &data, &saltData, &key)
            }
        }
        try #require(rc == 0, "krb5_c_string_to_key: \(rc)")
        defer { krb5_free_keyblock_contents(context, &key) }
        return Hex.string(UnsafeBufferPointer(start: key.contents, count: Int(key.length)))
    }

    func storedKeys(_ dc: DomainController, _ sam: String) async throws -> SambaKeysOracle {
        let oracle = try await run(URL(fileURLWithPath: "/usr/bin/python3"), [Paths.packageRoot.path + "/scripts/oracle/samba-keys.py", dc.dir, sam])
        #expect(oracle.status == 0, "\(oracle.stderr)")
        return try JSONDecoder().decode(SambaKeysOracle.self, from: Data(oracle.stdout.utf8))
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
        let stored = try await storedKeys(dc, sam)
        let salt = salt(dc, sam)
        #expect(stored.salt == salt)
        #expect(stored.iterations == 4096)
        #expect(stored.keys == [try hex(second, salt: salt)])
        #expect(stored.old_keys == [try hex(first, salt: salt)])
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
        let stored = try await storedKeys(dc, sam)
        let salt = salt(dc, sam)
        #expect(stored.salt == salt)
        let keys = stored.keys
        #expect(keys.count == 1)
        #expect(!keys.contains(try hex(password, salt: salt)))
        try await c.delete(ou, controls: [.treeDelete])
    }
}
