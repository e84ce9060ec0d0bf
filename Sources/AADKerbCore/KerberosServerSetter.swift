import Foundation
import LDAPClient
import TenantAPI
import Basics

/// One step of `set` or `remove`: what was (or, with --dry-run, would be) done to which object.
public struct Step: Sendable, Equatable {
    public enum Side: String, Sendable { case onPrem = "OnPrem", cloud = "Cloud" }
    public var side: Side
    public var action: String
    public var object: String
    public var detail: String
    public init(_ side: Side, _ action: String, _ object: String, _ detail: String) {
        self.side = side
        self.action = action
        self.object = object
        self.detail = detail
    }
}

/// The cloud operations `set` and `remove` need (a protocol so the core does not depend on the
/// HTTP client).
public protocol KerberosDomainStore: Sendable {
    func read(domain: String) async throws -> (KerberosDomain, etag: String)?
    /// Creates (ifMatch nil) or replaces the object; with `newKey`, the key is sealed to the
    /// tenant and becomes its current key. Returns the new ETag.
    @discardableResult
    func write(_ value: KerberosDomain, ifMatch: String?, newKey: (key: Secret, kvno: Int64)?) async throws -> String
    func remove(domain: String) async throws -> Bool
}

/// Creates what is missing and repairs what drifted (Set-AzureADKerberosServer), or removes
/// everything (Remove-AzureADKerberosServer). Every step is idempotent, so a re-run after a
/// failure part way finishes the job. docs/set-and-remove.md lists every attribute written.
public struct KerberosServerSetter: Sendable {
    public let connection: any DirectoryConnection
    public let objects: KerberosServerObjects
    public let cloud: (any KerberosDomainStore)?
    public let dryRun: Bool
    /// Reads the key the DC made, to publish it; nil: metadata only.
    public let keyReader: (any AccountKeyReader)?

    public init(connection: any DirectoryConnection, domain: DomainName, cloud: (any KerberosDomainStore)?, dryRun: Bool,
                keyReader: (any AccountKeyReader)? = nil) {
        self.connection = connection
        objects = KerberosServerObjects(domain: domain)
        self.cloud = cloud
        self.dryRun = dryRun
        self.keyReader = keyReader
    }

    /// userAccountControl of the read-only DC computer object: WORKSTATION_TRUST_ACCOUNT | PARTIAL_SECRETS_ACCOUNT.
    public static let computerUAC = UserAccountControl.workstationTrustAccount | UserAccountControl.partialSecretsAccount
    /// Well-known RIDs and builtin SIDs of the deny-by-default password replication policy.
    /// Administrators, Account, Server, Print and Backup Operators. Print Operators (550) is tier 0 by
    /// its rights (it can load drivers on DCs), not by group nesting.
    static let neverRevealBuiltin = ["S-1-5-32-544", "S-1-5-32-548", "S-1-5-32-549", "S-1-5-32-550", "S-1-5-32-551"]
    /// Domain Admins, Schema Admins, Enterprise Admins, Key Admins, Enterprise Key Admins, Denied RODC
    /// Password Replication Group. Key Admins (526) and Enterprise Key Admins (527) can write
    /// msDS-KeyCredentialLink of any account (shadow credentials): tier 0 by rights. Groups that do
    /// not exist in a domain (Schema/Enterprise groups outside the forest root, Key Admins below the
    /// 2016 functional level) are left out.
    static let neverRevealDomainRIDs = [512, 518, 519, 526, 527, 572]
    static let revealOnDemandDomainRIDs = [513]  // Domain Users

    public func set() async throws -> [Step] {
        var steps: [Step] = []
        let root = try await connection.rootDSE(attributes: ["defaultNamingContext"])
        try OnPremReader.checkDomain(root, objects: objects, uri: connection.uri)
        let domainSID = try await connection.read(objects.domainDN.description, attributes: ["objectSid"])?
            .bytes("objectSid").flatMap(formatSID)
        guard let domainSID else {
            throw AADKerbError.malformedObject(dn: objects.domainDN.description, reason: "objectSid is not readable")
        }

        // 1. the krbtgt account (the DC assigns msDS-SecondaryKrbTgtNumber and krbtgt_<n>)
        let krbtgtDN = objects.krbtgt.description
        var krbtgt = try await connection.read(krbtgtDN, attributes: ["userAccountControl", "msDS-SecondaryKrbTgtNumber", "objectSid"])
        if krbtgt == nil {
            steps.append(Step(.onPrem, "Add", krbtgtDN, "disabled RODC krbtgt account (LDAP_SERVER_RODC_DCPROMO_OID: the DC assigns the number and krbtgt_<n>)"))
            if !dryRun {
                try await connection.add(krbtgtDN, attributes: [
                    LDAPModification(.add, "objectClass", strings: ["user"]),
                    LDAPModification(.add, "userAccountControl", strings: ["514"]),
                ], controls: [.rodcDCPromo])
                krbtgt = try await connection.read(krbtgtDN, attributes: ["userAccountControl", "msDS-SecondaryKrbTgtNumber", "objectSid"])
            }
        } else if let uac = krbtgt?.integer("userAccountControl"), UInt32(uac) & UserAccountControl.accountDisable == 0 {
            steps.append(Step(.onPrem, "Modify", krbtgtDN, "userAccountControl: disable the account"))
            if !dryRun {
                try await connection.modify(krbtgtDN, [LDAPModification(.replace, "userAccountControl",
                                                                        strings: [String(UInt32(uac) | UserAccountControl.accountDisable)])])
            }
        }
        let krbtgtSID = krbtgt?.bytes("objectSid").flatMap(formatSID) ?? "<assigned by the DC>"
        let id = krbtgt?.integer("msDS-SecondaryKrbTgtNumber").map(String.init) ?? "<assigned by the DC>"

        // 2. the read-only DC computer object
        let computerDN = objects.computer.description
        var computer = try await connection.read(computerDN, attributes: ["userAccountControl", "msDS-KrbTgtLink", "objectSid", "pwdLastSet",
                                                                          "msDS-RevealOnDemandGroup", "msDS-NeverRevealGroup"])
        let neverReveal = Self.neverRevealBuiltin.map { "<SID=\($0)>" } + Self.neverRevealDomainRIDs.map { "<SID=\(domainSID)-\($0)>" }
        let revealOnDemand = Self.revealOnDemandDomainRIDs.map { "<SID=\(domainSID)-\($0)>" }
        if computer == nil {
            steps.append(Step(.onPrem, "Add", computerDN, "read-only DC computer AzureADKerberos$, userAccountControl 0x04001000, a random password, msDS-KrbTgtLink, reveal policy: allow Domain Users, deny privileged groups"))
            if !dryRun {
                var attributes = [
                    LDAPModification(.add, "objectClass", strings: ["computer"]),
                    LDAPModification(.add, "sAMAccountName", strings: ["AzureADKerberos$"]),
                    LDAPModification(.add, "userAccountControl", strings: [String(Self.computerUAC)]),
                    LDAPModification(.add, "msDS-KrbTgtLink", strings: [krbtgtDN]),
                    LDAPModification(.add, "msDS-RevealOnDemandGroup", strings: revealOnDemand),
                    // a random password nobody knows, as a real RODC's machine account has one: the
                    // account exists only to carry the reveal policy and must never sign in
                    LDAPModification(.add, "unicodePwd", values: [KeyRotator.randomPasswordValue()]),
                ]
                // Enterprise and Schema Admins exist only in the forest root domain: add what exists.
                attributes.append(LDAPModification(.add, "msDS-NeverRevealGroup", strings: try await existing(neverReveal)))
                try await connection.add(computerDN, attributes: attributes)
                computer = try await connection.read(computerDN, attributes: ["objectSid"])
            }
        } else if let computer {
            let uac = UInt32(computer.integer("userAccountControl") ?? 0)
            if uac & Self.computerUAC != Self.computerUAC {
                steps.append(Step(.onPrem, "Modify", computerDN, String(format: "userAccountControl 0x%08x -> 0x%08x", uac, uac | Self.computerUAC)))
                if !dryRun {
                    try await connection.modify(computerDN, [LDAPModification(.replace, "userAccountControl", strings: [String(uac | Self.computerUAC)])])
                }
            }
            // made without a password by an earlier aadkerb: give it a random one nobody knows
            if computer.integer("pwdLastSet") == 0 {
                steps.append(Step(.onPrem, "Modify", computerDN, "unicodePwd: a random password (the account had none)"))
                if !dryRun { try await connection.modify(computerDN, [LDAPModification(.replace, "unicodePwd", values: [KeyRotator.randomPasswordValue()])]) }
            }
            let link = computer.string("msDS-KrbTgtLink").flatMap { try? DistinguishedName(parsing: $0) }
            if link != objects.krbtgt {
                steps.append(Step(.onPrem, "Modify", computerDN, "msDS-KrbTgtLink -> \(krbtgtDN)"))
                if !dryRun { try await connection.modify(computerDN, [LDAPModification(.replace, "msDS-KrbTgtLink", strings: [krbtgtDN])]) }
            }
            // every privileged group of the default deny list that exists here, also on an older
            // setup (added, never removed: what else the admin denies stays)
            var deniedSIDs = Set<String>()
            for value in computer.values("msDS-NeverRevealGroup") {
                if let sid = try await connection.read(String(decoding: value, as: UTF8.self), attributes: ["objectSid"])?
                    .bytes("objectSid").flatMap(formatSID) { deniedSIDs.insert(sid) }
            }
            let missing = try await existing(neverReveal).filter { !deniedSIDs.contains(String($0.dropFirst(5).dropLast())) }
            if !missing.isEmpty {
                steps.append(Step(.onPrem, "Modify", computerDN, deniedSIDs.isEmpty
                    ? "msDS-NeverRevealGroup: deny privileged groups by default"
                    : "msDS-NeverRevealGroup: also deny \(missing.map { String($0.dropFirst(5).dropLast()) }.joined(separator: ", "))"))
                if !dryRun { try await connection.modify(computerDN, [LDAPModification(.add, "msDS-NeverRevealGroup", strings: missing)]) }
            }
        }
        let computerSID = computer?.bytes("objectSid").flatMap(formatSID) ?? "<assigned by the DC>"

        // 3. the container and the service connection point
        let containerDN = objects.container.description
        if try await connection.read(containerDN, attributes: ["objectClass"]) == nil {
            steps.append(Step(.onPrem, "Add", containerDN, "container"))
            if !dryRun { try await connection.add(containerDN, attributes: [LDAPModification(.add, "objectClass", strings: ["container"])]) }
        }
        let scpDN = objects.serviceConnectionPoint.description
        let keywords = ["Id=\(id)", "UserAccount=\(krbtgtSID)", "ComputerAccount=\(computerSID)"]
        if let scp = try await connection.read(scpDN, attributes: ["keywords"]) {
            if Set(scp.strings("keywords")) != Set(keywords) {
                steps.append(Step(.onPrem, "Modify", scpDN, "keywords: " + keywords.joined(separator: ", ")))
                if !dryRun { try await connection.modify(scpDN, [LDAPModification(.replace, "keywords", strings: keywords)]) }
            }
        } else {
            steps.append(Step(.onPrem, "Add", scpDN, "serviceConnectionPoint, keywords: " + keywords.joined(separator: ", ")))
            if !dryRun {
                try await connection.add(scpDN, attributes: [LDAPModification(.add, "objectClass", strings: ["serviceConnectionPoint"]),
                                                             LDAPModification(.add, "keywords", strings: keywords)])
            }
        }

        // 4. the cloud twin: the metadata of what the DC now holds, and its current key
        if let cloud {
            let onPrem = dryRun && krbtgt == nil ? nil : try await OnPremReader(connection: connection, domain: objects.domain).read()
            let existing = try await cloud.read(domain: objects.domain.value)
            if let onPrem, let id = onPrem.id, let name = onPrem.displayName, let keyVersion = onPrem.keyVersion, let userAccount = onPrem.userAccount {
                var twin = existing?.0 ?? KerberosDomain(domainDnsName: objects.domain.value, id: id, displayName: name, keyVersion: keyVersion)
                let before = twin
                twin.copyMetadata(from: onPrem)
                // The tenant must hold the DC's current key: publish it when it does not (this
                // also finishes a rotation interrupted after the DC's key was reset).
                var newKey: (key: Secret, kvno: Int64)?
                if let keyReader, let kvno = onPrem.kvno {
                    let held = try await keyReader.keys(accountDN: userAccount)
                    if twin.currentKey?.checkValue != KeyEnvelope.checkValue(held.current) {
                        newKey = (held.current, kvno)
                        twin.rotation = nil
                    }
                }
                if existing == nil || twin != before || newKey != nil {
                    let what = "KerberosDomain Id \(id), \(name), KeyVersion \(keyVersion)"
                        + (newKey.map { ", key kvno \($0.kvno) (the DC's current key)" } ?? "")
                    steps.append(Step(.cloud, existing == nil ? "Create" : "Update", objects.domain.value, what))
                    if !dryRun { try await cloud.write(twin, ifMatch: existing?.etag, newKey: newKey) }
                }
            } else if existing == nil {
                steps.append(Step(.cloud, "Create", objects.domain.value, "KerberosDomain for the new krbtgt account"
                                  + (keyReader != nil ? ", with the key the DC makes" : "")))
            }
        }
        return steps
    }

    /// Removes the cloud object and the on-prem objects; what is already gone is skipped.
    public func remove() async throws -> [Step] {
        var steps: [Step] = []
        let root = try await connection.rootDSE(attributes: ["defaultNamingContext"])
        try OnPremReader.checkDomain(root, objects: objects, uri: connection.uri)
        if let cloud, try await cloud.read(domain: objects.domain.value) != nil {
            steps.append(Step(.cloud, "Delete", objects.domain.value, "KerberosDomain"))
            if !dryRun { _ = try await cloud.remove(domain: objects.domain.value) }
        }
        let computer = try await connection.read(objects.computer.description, attributes: ["msDS-KrbTgtLink"])
        let linked = computer?.string("msDS-KrbTgtLink")
        var targets: [(String, [LDAPRequestControl], String)] = [
            (objects.container.description, [.treeDelete], "container and service connection point (tree delete)"),
            (objects.computer.description, [], "read-only DC computer object"),
            (objects.krbtgt.description, [], "krbtgt account"),
        ]
        if let linked, (try? DistinguishedName(parsing: linked)) != objects.krbtgt {
            targets.append((linked, [], "krbtgt account linked from the computer object"))
        }
        for (dn, controls, what) in targets where try await connection.read(dn, attributes: ["objectClass"]) != nil {
            steps.append(Step(.onPrem, "Delete", dn, what))
            if !dryRun {
                do { try await connection.delete(dn, controls: controls) } catch let e as LDAPError where e.code == .noSuchObject {}
            }
        }
        return steps
    }

    /// The `<SID=...>` references whose group exists in this domain.
    private func existing(_ references: [String]) async throws -> [String] {
        var out: [String] = []
        for r in references where try await connection.read(r, attributes: ["objectClass"]) != nil { out.append(r) }
        return out
    }
}
