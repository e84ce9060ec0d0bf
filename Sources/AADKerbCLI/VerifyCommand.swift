import AADKerbCore
import ArgumentParser
import Foundation
import LDAPClient
import Basics
import TenantAPI
import TenantClient
import Tickets

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Prove that hybrid sign-in works: exchange the cloud's partial TGT for each user at every writable DC.",
        discussion: """
            What a Windows device does after a FIDO2 or Windows Hello sign-in, done from here. The \
            ticket: with --tenant, the tenant mints each user's partial TGT with the key it holds \
            (this tests the cloud's copy of the key); otherwise, or with --local-ticket, aadkerb \
            mints it in memory from the DC's current key, read over DRSUAPI as `set` does (the \
            output says the cloud's copy was not tested). Then, at every writable DC the directory \
            lists (never a host only DNS names), a TGS-REQ for krbtgt/<REALM> (the full TGT) and one \
            for ldap/<dc>. Nothing touches disk; no ticket, session key or key is printed or logged.

            Outcomes, per DC and user:
              Accepted           the DC issued a full TGT and a service ticket
              DeniedByPolicy     the reveal policy refuses the user (KDC_ERR_TGT_REVOKED); DeniedBy
                                 names the groups, as `policy explain` does. This is what a privileged
                                 account should get: allow a group with `aadkerb policy allow` only
                                 if it is meant to sign in this way
              KeyVersionNotHeld  the DC holds neither this key version nor the one before
                                 (KRB_AP_ERR_BADKEYVER): replication lags, or the cloud is two
                                 rotations behind: run `aadkerb rotate` / `set --tenant`
              WrongKey           the DC's key of that version differs (KRB_AP_ERR_BAD_INTEGRITY):
                                 the key was reset behind aadkerb's back: `aadkerb set --tenant`
              UnknownServer      the DC does not know the Id (RODC number): the objects have not
                                 replicated to it, or were made again: check `aadkerb dcs`
              UserDisabled       the account is disabled, locked or expired (KDC_ERR_POLICY)
              UserUnknown        no such user (in the directory, or at the DC)
              Unreachable        no answer from the DC's KDC on port 88
              Refused            any other refusal; Detail has the Kerberos error
            Key list: whether each DC answers KERB-KEY-LIST-REQ. A DC that does not (Samba, or a
            Windows DC without the 2020 updates) gives no NTLM single sign-on after a cloud sign-in.

            Exit codes: 0 every user accepted by every DC; 19 at least one refusal (denials of \
            privileged accounts included: list only users who should get in, or read the JSON); \
            12 no DC answered; 3/5 nothing or not everything configured; 10-17 as for get.

            \(Manual.helpFooter("verify"))
            """)

    @OptionGroup var connection: DomainOptions
    @OptionGroup var tenant: TenantOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("sign-in"), help: ArgumentHelp("A user to sign in (sAMAccountName, UPN or DN); repeat for several.", valueName: "user"))
    var signIn: [String] = []

    @Flag(help: "Mint the ticket here from the DC's key even when a tenant is configured (the cloud's copy of the key is then not tested).")
    var localTicket = false

    @Option(help: ArgumentHelp("Seconds to wait for each DC's KDC.", valueName: "seconds"))
    var kdcTimeout: Double = 10

    func validate() throws {
        if signIn.isEmpty { throw ValidationError("name at least one user: --sign-in USER") }
        if kdcTimeout <= 0 { throw ValidationError("--kdc-timeout must be positive") }
    }

    func run() async throws {
        try await reportingErrors(output) {
            // --local-ticket mints the partial TGT here: the tenant is not asked
            let context = try await CommandContext(connection, tenant: localTicket ? .none : .ifNamed(tenant))
            let (client, users, timeout) = (context.tenant, signIn, Duration.milliseconds(Int64(kdcTimeout * 1000)))
            return try await context.forEachDomain(output, monitoring: Self._commandName) { session in
                let report = try await SignInCheck.run(session, ldap: try await session.connect(), client: client, users: users, timeout: timeout)
                var result = DomainResult(report, table: report.table, status: report.exitStatus)
                var sample = MonitorSample(domain: report.domain, command: "verify")
                sample.signIns = Dictionary(grouping: report.results, by: \.outcome).mapValues(\.count)
                if let note = report.note { sample.error = (report.exitStatus, note) }
                result.monitor = sample
                return result
            }
        }
    }
}

/// The per-domain work of `verify`, shared with `doctor --sign-in`: each user's partial TGT (from
/// the tenant when `client` is given, else minted here from the DC's current key), exchanged at
/// every writable DC the directory lists.
enum SignInCheck {
    static func run(_ session: DomainSession, ldap: LDAPConnection, client: TenantClient?,
                    users: [String], timeout: Duration) async throws -> VerifyReport {
        let target = session.target
        let onPrem = try await OnPremReader(connection: ldap, domain: target.domain).read()
        guard onPrem.status == .configured, let id = onPrem.id, let kvno = onPrem.kvno, let krbtgt = onPrem.userAccount else {
            return VerifyReport(domain: target.domain.value, source: nil, results: [], keyList: [],
                                note: "not configured: " + (onPrem.problems.first ?? "run aadkerb set"), configured: onPrem.status)
        }
        let verifier = SignInVerifier(connection: ldap, domain: target.domain, timeout: timeout)
        var localKey: Secret?
        if client == nil {
            localKey = try await session.keyReader(ldap).keys(accountDN: krbtgt).current
        }
        var tickets: [(SignInUser?, String, PartialTGT?)] = []
        for name in users {
            guard let user = try await verifier.user(name) else { tickets.append((nil, name, nil)); continue }
            let sid = try SecurityIdentifier(user.sid)
            let tgt: PartialTGT
            if let client {
                let answer = try await client.partialTicket(domain: target.domain.value, for: PartialTicketRequest(
                    onPremisesSamAccountName: user.samAccountName, onPremisesSecurityIdentifier: user.sid))
                guard let buffer = Data(base64Encoded: answer.tgt_message_buffer), var key = Data(base64Encoded: answer.tgt_client_key) else {
                    throw CLIError(status: .tenantFailure, message: "the tenant's partial ticket for \(user.samAccountName) is not base64")
                }
                defer { key.resetBytes(in: 0..<key.count) }
                tgt = try PartialTGT(messageBuffer: Array(buffer), clientKey: Secret(bytes: Array(key)), userSID: sid)
            } else {
                tgt = try PartialTGT.mint(realm: target.domain.value, userName: user.samAccountName, userSID: sid,
                                          rodcNumber: Int(id), keyVersion: Int(kvno & 0xffff), key: localKey!)
            }
            tickets.append((user, name, tgt))
        }
        let dcs = try await DomainControllers.writable(connection: ldap, objects: KerberosServerObjects(domain: target.domain))
        let (results, keyList) = try await verifier.verify(users: tickets, at: dcs, address: { Resolver.ipv4($0) })
        return VerifyReport(domain: target.domain.value, source: client != nil ? "Tenant" : "Local", results: results,
                            keyList: keyList, note: nil, configured: onPrem.status)
    }
}

/// `verify`'s output. JSON schema 1: {"SchemaVersion", "Command", "DomainDnsName", "TicketSource"
/// ("Tenant" | "Local" | null), "CloudKeyTested", "Note", "Results": [{"User", "DomainController",
/// "Outcome", "IssuedKvno", "DeniedBy", "Detail"}], "KeyList": [{"DomainController", "Supported", "Detail"}]}.
struct VerifyReport: Encodable {
    let domain: String
    let source: String?
    let results: [SignInResult]
    let keyList: [KeyListSupport]
    let note: String?
    let configured: OnPremKerberosServer.Status

    var exitStatus: ExitStatus {
        if note != nil { return configured == .notConfigured ? .notConfigured : .incomplete }
        if results.allSatisfy({ $0.outcome == .accepted }) { return .success }
        if results.allSatisfy({ $0.outcome == .unreachable }) { return .unreachable }
        return .signInRefused
    }

    /// The same result as one of `doctor`'s checks.
    var doctorCheck: DoctorCheck {
        if let note { return DoctorCheck("sign-in", .fail, note, fix: .advice("aadkerb set")) }
        let refused = results.filter { $0.outcome != .accepted }
        let source = source == "Tenant" ? "tenant-minted ticket" : "ticket minted from the DC's key (the cloud's copy not tested)"
        if refused.isEmpty {
            let users = Set(results.map(\.user)).sorted().joined(separator: ", ")
            let dcs = Set(results.map(\.domainController)).count
            return DoctorCheck("sign-in", .pass, "\(users) accepted by all \(dcs) writable DC(s) (\(source))")
        }
        let detail = refused.map { "\($0.user) @ \($0.domainController): \($0.outcome.rawValue)"
            + ($0.deniedBy.isEmpty ? "" : " by \($0.deniedBy.joined(separator: ", "))") }.joined(separator: "; ")
        return DoctorCheck("sign-in", .fail, detail + " (\(source))", fix: .advice(Self.fix(refused.map(\.outcome))))
    }

    /// What to do about the first refusal that has a fix.
    static func fix(_ outcomes: [SignInOutcome]) -> String {
        for outcome in outcomes {
            switch outcome {
            case .deniedByPolicy: return "expected for a privileged account; otherwise aadkerb policy explain USER, then aadkerb policy allow"
            case .keyVersionNotHeld, .wrongKey: return "the cloud's key is not the DC's: aadkerb set --tenant ... (or rotate) publishes the DC's key"
            case .unknownServer: return "the DC does not know the Azure AD Kerberos server: check replication (aadkerb dcs, get --all-dcs)"
            case .unreachable: return "open TCP 88 to the DC (aadkerb dcs shows which answer)"
            case .userDisabled, .userUnknown: return "check the account in the directory"
            case .accepted, .refused: continue
            }
        }
        return "aadkerb verify -o json shows each DC's Kerberos error"
    }

    enum CodingKeys: String, CodingKey { case SchemaVersion, Command, DomainDnsName, TicketSource, CloudKeyTested, Note, Results, KeyList }
    enum ResultKeys: String, CodingKey { case User, DomainController, Outcome, IssuedKvno, DeniedBy, Detail }
    enum KeyListKeys: String, CodingKey { case DomainController, Supported, Detail }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(1, forKey: .SchemaVersion)
        try c.encode("verify", forKey: .Command)
        try c.encode(domain, forKey: .DomainDnsName)
        try c.encode(source, forKey: .TicketSource)
        try c.encode(source == "Tenant", forKey: .CloudKeyTested)
        try c.encode(note, forKey: .Note)
        var list = c.nestedUnkeyedContainer(forKey: .Results)
        for r in results {
            var o = list.nestedContainer(keyedBy: ResultKeys.self)
            try o.encode(r.user, forKey: .User)
            try o.encode(r.domainController, forKey: .DomainController)
            try o.encode(r.outcome.rawValue, forKey: .Outcome)
            try o.encode(r.issuedKvno, forKey: .IssuedKvno)
            try o.encode(r.deniedBy, forKey: .DeniedBy)
            try o.encode(r.detail, forKey: .Detail)
        }
        var keys = c.nestedUnkeyedContainer(forKey: .KeyList)
        for k in keyList {
            var o = keys.nestedContainer(keyedBy: KeyListKeys.self)
            try o.encode(k.domainController, forKey: .DomainController)
            try o.encode(k.supported, forKey: .Supported)
            try o.encode(k.detail, forKey: .Detail)
        }
    }

    var table: String {
        if let note { return "\(domain): \(note)" }
        var lines = [source == "Tenant" ? "Tickets minted by the tenant (its copy of the key is tested)."
                                        : "Tickets minted here from the DC's key: the cloud's copy of the key was NOT tested (give --tenant)."]
        for r in results {
            var line = "\(r.user) @ \(r.domainController): \(r.outcome.rawValue)"
            if let kvno = r.issuedKvno, r.outcome == .accepted { line += " (full TGT, kvno \(kvno))" }
            if !r.deniedBy.isEmpty { line += " by \(r.deniedBy.joined(separator: ", ")) — expected for a privileged account" }
            if let detail = r.detail, r.outcome != .accepted { line += " — \(detail)" }
            lines.append(line)
        }
        for k in keyList {
            lines.append("key list @ \(k.domainController): " + (k.supported.map { $0 ? "supported" : "not supported" } ?? "not checked")
                         + (k.detail.map { " (\($0))" } ?? ""))
        }
        return lines.joined(separator: "\n")
    }
}
