import Foundation
import LDAPClient
import TenantAPI
import Testing

/// Creates the on-prem objects of an Azure AD Kerberos server the way the real feature does:
/// the krbtgt account added with the RODC dcpromo control (the DC picks the number and name),
/// the read-only DC computer object linked to it, the container and the service connection point,
/// then the key set `passwordResets` times.
enum Seeder {
    /// What `aadkerb get` reads from `dc`, and the KerberosDomain that mirrors it (what `set`
    /// publishes, without the key): for tests that put a twin in the tenant themselves.
    static func cloudTwin(_ dc: DomainController) async throws -> (onPrem: GetOutput, twin: KerberosDomain) {
        let onPrem = try decodeOutput(GetOutput.self, try await aadkerb(["get"] + dc.connectionArguments + ["-o", "json"]).stdout)
        let twin = KerberosDomain(domainDnsName: dc.domain, id: Int64(try #require(onPrem.Id)), displayName: try #require(onPrem.DisplayName),
                                  keyVersion: Int64(try #require(onPrem.KeyVersion)), keyUpdatedOn: onPrem.KeyUpdatedOn,
                                  keyUpdatedFrom: onPrem.KeyUpdatedFrom)
        return (onPrem, twin)
    }

    static func utf16Quoted(_ password: String) -> [UInt8] {
        Array(("\"" + password + "\"").utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] })
    }

    static func randomPassword() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
        var rng = SystemRandomNumberGenerator()
        return String((0..<64).map { _ in alphabet.randomElement(using: &rng)! })
    }

    static func remove(_ dc: DomainController, _ c: LDAPConnection) async throws {
        let base = dc.baseDN
        for (dn, controls) in [("CN=AzureAD,CN=System,\(base)", [LDAPRequestControl.treeDelete]),
                               ("CN=AzureADKerberos,OU=Domain Controllers,\(base)", []),
                               ("CN=krbtgt_AzureAD,CN=Users,\(base)", [])] {
            do { try await c.delete(dn, controls: controls) } catch let e as LDAPError where e.code == .noSuchObject {}
        }
    }

    @discardableResult
    static func seed(_ dc: DomainController, passwordResets: Int = 2) async throws -> LDAPConnection {
        let c = try await dc.adminConnection()
        try await remove(dc, c)
        let base = dc.baseDN
        let krbtgt = "CN=krbtgt_AzureAD,CN=Users,\(base)"
        try await c.add(krbtgt, attributes: [
            LDAPModification(.add, "objectClass", strings: ["user"]),
            LDAPModification(.add, "userAccountControl", strings: ["514"]),
        ], controls: [.rodcDCPromo])
        try await c.add("CN=AzureADKerberos,OU=Domain Controllers,\(base)", attributes: [
            LDAPModification(.add, "objectClass", strings: ["computer"]),
            LDAPModification(.add, "sAMAccountName", strings: ["AzureADKerberos$"]),
            LDAPModification(.add, "userAccountControl", strings: ["67112960"]),
            LDAPModification(.add, "msDS-KrbTgtLink", strings: [krbtgt]),
            LDAPModification(.add, "msDS-RevealOnDemandGroup", strings: ["CN=Allowed RODC Password Replication Group,CN=Users,\(base)"]),
            LDAPModification(.add, "msDS-NeverRevealGroup", strings: [
                "CN=Administrators,CN=Builtin,\(base)", "CN=Domain Admins,CN=Users,\(base)",
                "CN=Denied RODC Password Replication Group,CN=Users,\(base)",
            ]),
        ])
        try await c.add("CN=AzureAD,CN=System,\(base)", attributes: [LDAPModification(.add, "objectClass", strings: ["container"])])
        try await c.add("CN=900274c4-b7d2-43c8-90ee-00a9f650e335,CN=AzureAD,CN=System,\(base)", attributes: [
            LDAPModification(.add, "objectClass", strings: ["serviceConnectionPoint"]),
            LDAPModification(.add, "keywords", strings: ["seeded-by-test"]),
        ])
        for _ in 0..<passwordResets {
            try await c.modify(krbtgt, [LDAPModification(.replace, "unicodePwd", values: [utf16Quoted(randomPassword())])])
        }
        return c
    }
}
