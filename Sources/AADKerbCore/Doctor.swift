import Foundation
import LDAPClient
import TenantAPI
import Basics

/// One check of `aadkerb doctor`: what was checked, the verdict, and how to fix it.
public struct DoctorCheck: Sendable, Equatable {
    public enum Status: String, Sendable, Comparable {
        case pass = "Pass", warn = "Warn", fail = "Fail", skipped = "Skipped"
        var rank: Int { switch self { case .pass, .skipped: 0; case .warn: 1; case .fail: 2 } }
        public static func < (a: Status, b: Status) -> Bool { a.rank < b.rank }
    }
    public var name: String
    public var status: Status
    public var detail: String
    public var fix: DoctorFix?

    public init(_ name: String, _ status: Status, _ detail: String, fix: DoctorFix? = nil) {
        self.name = name
        self.status = status
        self.detail = detail
        self.fix = fix
    }
}

/// What to do about a failed check (the CLI words it as a command line or an instruction).
public enum DoctorFix: Sendable, Equatable {
    /// Synchronise this host and the DCs (NTP).
    case synchroniseClocks
    /// Create the server (`set` with the tenant).
    case create(domain: String)
    /// `set` repairs the on-prem objects.
    case repair(domain: String)
    /// Take these privileged groups out of the allow list of the read-only DC object.
    case removeFromAllowList(computer: String)
    /// Deny the privileged groups (`set` adds the default list when it is empty, or add them by hand).
    case denyPrivilegedGroups(computer: String)
    /// Deny these tier-0 accounts (or their groups) in the reveal policy.
    case denyTierZero(domain: String)
    /// Rotate the key.
    case rotate(domain: String)
    /// Allow AES256-CTS-HMAC-SHA1-96 on the DCs, then rotate.
    case allowAES256
    /// Wait for replication, then look at every DC's kvno.
    case waitForReplication
    /// Check the tenant endpoint, the client's credentials and its role.
    case checkTenantAccess
    /// `set` with the tenant publishes the DC's key.
    case publishDCKey(domain: String)
    /// `set`, or `rotate`, which finishes an interrupted rotation.
    case resynchronise
    /// `rotate` finishes the unfinished rotation once its lease has expired.
    case finishRotation
    /// Advice the CLI itself worded (connection failures, sign-in).
    case advice(String)
}

/// The checks the FAQ and troubleshooting pages list, against one domain: objects present and
/// consistent, the key (AES-256, age, replicated to every writable DC), the reveal policy for
/// privileged accounts, the DC's clock, and the tenant (reachable, authorised, holding the DC's
/// key). Each check reads only; nothing is changed.
public struct Doctor: Sendable {
    public let connection: any DirectoryConnection
    public let objects: KerberosServerObjects
    public let cloud: (any KerberosDomainStore)?
    public let keyReader: (any AccountKeyReader)?
    public let connectToDC: (@Sendable (DirectoryDC) async throws -> any DirectoryConnection)?
    /// A key older than this is a warning (Microsoft advises rotating it like any krbtgt key).
    public var maximumKeyAge: TimeInterval = 180 * 86400
    /// Clock skew tolerated by Kerberos (5 minutes by default); half of it is a warning.
    public var maximumSkew: TimeInterval = 300
    let now: @Sendable () -> Date

    public init(connection: any DirectoryConnection, domain: DomainName, cloud: (any KerberosDomainStore)?, keyReader: (any AccountKeyReader)?,
                connectToDC: (@Sendable (DirectoryDC) async throws -> any DirectoryConnection)?, now: @escaping @Sendable () -> Date = Date.init) {
        self.connection = connection
        objects = KerberosServerObjects(domain: domain)
        self.cloud = cloud
        self.keyReader = keyReader
        self.connectToDC = connectToDC
        self.now = now
    }

    public func run() async -> [DoctorCheck] {
        var checks: [DoctorCheck] = []
        // The clock first: Kerberos fails in confusing ways when it is off.
        checks.append(await clock())
        let onPrem: OnPremKerberosServer
        do {
            onPrem = try await OnPremReader(connection: connection, domain: objects.domain).read()
        } catch {
            checks.append(DoctorCheck("objects", .fail, "cannot read the objects: \(error)"))
            return checks
        }
        switch onPrem.status {
        case .configured:
            checks.append(DoctorCheck("objects", .pass, "the krbtgt account, the read-only DC object and the service connection point exist and agree (Id \(onPrem.id.map(String.init) ?? "?"))"))
        case .notConfigured:
            checks.append(DoctorCheck("objects", .fail, "no Azure AD Kerberos server is configured in \(objects.domain.value)",
                                      fix: .create(domain: objects.domain.value)))
            return checks
        case .incomplete:
            checks.append(DoctorCheck("objects", .fail, onPrem.problems.joined(separator: "; "),
                                      fix: .repair(domain: objects.domain.value)))
        }
        checks.append(await revealPolicy())
        checks.append(await tierZeroAllowed())
        checks.append(keyAge(onPrem))
        if let account = onPrem.userAccount {
            checks.append(await aes256(account))
            checks.append(await replication(account, onPrem))
        }
        checks += await tenant(onPrem)
        return checks
    }

    /// The DC's currentTime (root DSE) against this host's clock.
    func clock() async -> DoctorCheck {
        do {
            let root = try await connection.rootDSE(attributes: ["currentTime"])
            guard let raw = root.string("currentTime"), let dcTime = GeneralizedTime.date(raw) else {
                return DoctorCheck("clock", .warn, "the DC did not report currentTime")
            }
            let skew = now().timeIntervalSince(dcTime)
            let text = String(format: "this host's clock is %.0f s %@ the DC's", abs(skew), skew >= 0 ? "ahead of" : "behind")
            if abs(skew) > maximumSkew {
                return DoctorCheck("clock", .fail, text + " (Kerberos allows \(Int(maximumSkew)) s)", fix: .synchroniseClocks)
            }
            return DoctorCheck("clock", abs(skew) > maximumSkew / 2 ? .warn : .pass, text)
        } catch {
            return DoctorCheck("clock", .fail, "cannot read the DC's time: \(error)")
        }
    }

    /// Privileged groups must be in msDS-NeverRevealGroup; none of them in msDS-RevealOnDemandGroup.
    func revealPolicy() async -> DoctorCheck {
        do {
            guard try await connection.read(objects.computer.description, attributes: ["objectClass"]) != nil,
                  let domainSID = try await connection.read(objects.domainDN.description, attributes: ["objectSid"])?.bytes("objectSid").flatMap(formatSID)
            else { return DoctorCheck("reveal-policy", .skipped, "the read-only DC object is missing") }
            let policy = try await RevealPolicyEditor(connection: connection, domain: objects.domain).read()
            let denied = Set(policy.denied.compactMap(\.sid)), allowed = Set(policy.allowed.compactMap(\.sid))
            let privileged = KerberosServerSetter.neverRevealBuiltin + KerberosServerSetter.neverRevealDomainRIDs.map { "\(domainSID)-\($0)" }
            var existing: [String: String] = [:]
            for sid in privileged {
                if let entry = try await connection.search(base: objects.domainDN.description, scope: .subtree,
                                                           filter: .equalBytes("objectSid", parseSID(sid) ?? []), attributes: ["cn"]).first {
                    existing[sid] = entry.string("cn") ?? entry.dn
                }
                if existing[sid] == nil, sid.hasPrefix("S-1-5-32-") { existing[sid] = sid }
            }
            let notDenied = existing.filter { !denied.contains($0.key) }.map(\.value).sorted()
            let allowedPrivileged = existing.filter { allowed.contains($0.key) }.map(\.value).sorted()
            if !allowedPrivileged.isEmpty {
                return DoctorCheck("reveal-policy", .fail, "privileged groups are allowed in msDS-RevealOnDemandGroup: \(allowedPrivileged.joined(separator: ", "))",
                                   fix: .removeFromAllowList(computer: objects.computer.description))
            }
            if !notDenied.isEmpty {
                return DoctorCheck("reveal-policy", .fail, "not denied by msDS-NeverRevealGroup: \(notDenied.joined(separator: ", ")); their members' keys could be sent to the cloud",
                                   fix: .denyPrivilegedGroups(computer: objects.computer.description))
            }
            return DoctorCheck("reveal-policy", .pass, "every privileged group present in the domain is denied (\(existing.count) groups)")
        } catch {
            return DoctorCheck("reveal-policy", .fail, "cannot read the reveal policy: \(error)")
        }
    }

    /// Accounts that are tier 0 by rights rather than by group — marked adminCount=1, or granted
    /// the right to replicate secrets on the domain head (the Entra Connect sync account, aadkerb's
    /// own service account) — that the reveal policy still allows: whoever holds the krbtgt_AzureAD
    /// key can forge a partial TGT for them. DCs and the groups every DC belongs to are not counted.
    func tierZeroAllowed() async -> DoctorCheck {
        do {
            guard try await connection.read(objects.computer.description, attributes: ["objectClass"]) != nil,
                  let domainSID = try await connection.read(objects.domainDN.description, attributes: ["objectSid"])?.bytes("objectSid").flatMap(formatSID)
            else { return DoctorCheck("tier0-allowed", .skipped, "the read-only DC object is missing") }
            let policy = RevealPolicyEditor(connection: connection, domain: objects.domain)
            var reasons: [(String, String)] = []  // SID or DN, why it is tier 0
            let marked = try await connection.search(base: objects.domainDN.description, scope: .subtree,
                                                     filter: .and([.equal("objectCategory", "person"), .equal("adminCount", "1")]),
                                                     attributes: ["objectSid"])
            reasons += marked.map { ($0.dn, "adminCount=1") }
            // the DACL only (SD flags control, DACL_SECURITY_INFORMATION): readable without SeSecurityPrivilege
            let sdFlags = LDAPRequestControl(oid: "1.2.840.113556.1.4.801", isCritical: true, value: [0x30, 0x03, 0x02, 0x01, 0x04])
            let sd = try await connection.read(objects.domainDN.description, attributes: ["nTSecurityDescriptor"], controls: [sdFlags])?
                .bytes("nTSecurityDescriptor") ?? []
            let domainControllers: Set<String> = ["S-1-5-9", "S-1-5-18", "S-1-5-32-544", "\(domainSID)-498", "\(domainSID)-516", "\(domainSID)-521"]
            reasons += SecurityDescriptor.replicationTrustees(sd).filter { !domainControllers.contains($0) }.map { ($0, "may replicate secrets") }
            var flagged: [String] = []
            for (who, why) in reasons {
                guard let explanation = try? await policy.explain(who) else { continue }
                let classes = try await connection.read(explanation.principal.dn, attributes: ["objectClass"])?.values("objectClass")
                    .map { String(decoding: $0, as: UTF8.self).lowercased() } ?? []
                // a user is exposed when allowed; a group's members are (through Domain Users), unless the group itself is denied
                if classes.contains("group") ? explanation.verdict != .denied : explanation.verdict == .allowed {
                    let entry = "\(explanation.principal.name) (\(why))"
                    if !flagged.contains(entry) { flagged.append(entry) }
                }
            }
            if flagged.isEmpty {
                return DoctorCheck("tier0-allowed", .pass, "no account marked adminCount=1 or able to replicate secrets is allowed by the reveal policy")
            }
            return DoctorCheck("tier0-allowed", .warn, "allowed by the reveal policy although tier 0: \(flagged.joined(separator: ", ")); whoever holds the krbtgt_AzureAD key could forge a partial TGT for them",
                               fix: .denyTierZero(domain: objects.domain.value))
        } catch {
            return DoctorCheck("tier0-allowed", .warn, "cannot read adminCount or the domain's security descriptor: \(error)")
        }
    }

    func keyAge(_ onPrem: OnPremKerberosServer) -> DoctorCheck {
        guard let updated = onPrem.keyUpdatedOn else { return DoctorCheck("key-age", .warn, "KeyUpdatedOn is unknown") }
        let age = now().timeIntervalSince(updated)
        let text = "the key was changed \(KeyRotator.duration(age)) ago (\(ISO8601.string(updated)))"
        return age > maximumKeyAge
            ? DoctorCheck("key-age", .warn, text + ", more than \(KeyRotator.duration(maximumKeyAge))", fix: .rotate(domain: objects.domain.value))
            : DoctorCheck("key-age", .pass, text)
    }

    /// Entra Kerberos uses AES-256 only: the DC must hold an AES-256 key for the account.
    func aes256(_ account: String) async -> DoctorCheck {
        guard let keyReader else {
            return DoctorCheck("aes256", .skipped, "no way to read the DC's keys with these credentials")
        }
        do {
            _ = try await keyReader.keys(accountDN: account)
            return DoctorCheck("aes256", .pass, "the DC holds an AES256-CTS-HMAC-SHA1-96 key for \(account)")
        } catch {
            return DoctorCheck("aes256", .fail, "\(error)", fix: .allowAES256)
        }
    }

    /// Every writable DC holds the key the DC read holds.
    func replication(_ account: String, _ onPrem: OnPremKerberosServer) async -> DoctorCheck {
        do {
            let dcs = try await DomainControllers.keyVersions(connection: connection, objects: objects, accountDN: account,
                                                              connectedDC: onPrem.server, connectToDC: connectToDC)
            let behind = dcs.filter { $0.error != nil || $0.kvno != onPrem.kvno }
            if behind.isEmpty {
                return DoctorCheck("replication", .pass, "all \(dcs.count) writable DC(s) hold kvno \(onPrem.kvno.map(String.init) ?? "?")")
            }
            return DoctorCheck("replication", .warn, behind.map { "\($0.name): " + ($0.error ?? "kvno \($0.kvno.map(String.init) ?? "?")") }.joined(separator: "; "),
                               fix: .waitForReplication)
        } catch {
            return DoctorCheck("replication", .warn, "cannot list the DCs: \(error)")
        }
    }

    func tenant(_ onPrem: OnPremKerberosServer) async -> [DoctorCheck] {
        guard let cloud else { return [DoctorCheck("tenant", .skipped, "no tenant given")] }
        let twin: KerberosDomain?
        do {
            twin = try await cloud.read(domain: objects.domain.value)?.0
        } catch {
            return [DoctorCheck("tenant", .fail, "\(error)", fix: .checkTenantAccess)]
        }
        var checks = [DoctorCheck("tenant", .pass, "the tenant API answered and authorised the client")]
        guard let twin else {
            checks.append(DoctorCheck("cloud-object", .fail, "the tenant has no KerberosDomain for \(objects.domain.value)",
                                      fix: .create(domain: objects.domain.value)))
            return checks
        }
        let comparison = KerberosServerComparison(onPrem: onPrem, cloud: twin)
        let differing = comparison.pairs.filter { $0.verdict != .match }
        if twin.currentKey == nil {
            checks.append(DoctorCheck("cloud-object", .fail, "the tenant holds no key for \(objects.domain.value)", fix: .publishDCKey(domain: objects.domain.value)))
        } else if differing.isEmpty {
            checks.append(DoctorCheck("cloud-object", .pass, "in sync: the tenant holds kvno \(twin.currentKey!.kvno), the DC's current key"))
        } else {
            checks.append(DoctorCheck("cloud-object", .fail, "drifted: " + differing.map { "\($0.name) on-prem \($0.onPrem ?? "-"), cloud \($0.cloud ?? "-")" }.joined(separator: "; "),
                                      fix: .resynchronise))
        }
        if let lease = twin.rotation {
            checks.append(DoctorCheck("rotation", .warn, "a rotation is unfinished: started \(lease.startedOn) by \(lease.holder), lease until \(lease.expiresOn)",
                                      fix: .finishRotation))
        }
        return checks
    }
}
