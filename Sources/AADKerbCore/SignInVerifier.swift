import Dispatch
import Foundation
import LDAPClient
import Tickets

/// What a DC did with the cloud's partial TGT for a user (`aadkerb verify`, docs/verify.md).
public enum SignInOutcome: String, Sendable, CaseIterable {
    /// A full TGT and a service ticket of the DC were issued.
    case accepted = "Accepted"
    /// KDC_ERR_TGT_REVOKED (20): the reveal policy does not allow the user (what a privileged account should get).
    case deniedByPolicy = "DeniedByPolicy"
    /// KRB_AP_ERR_BADKEYVER (44): the DC holds neither the ticket's key version nor the one before.
    case keyVersionNotHeld = "KeyVersionNotHeld"
    /// KRB_AP_ERR_BAD_INTEGRITY (31): the DC's key of that version is another key.
    case wrongKey = "WrongKey"
    /// KRB_AP_ERR_NOT_US (35): the DC does not know the RODC number (Id) in the kvno.
    case unknownServer = "UnknownServer"
    /// KDC_ERR_POLICY (12) or KDC_ERR_CLIENT_REVOKED (18): the account is disabled (or locked, expired).
    case userDisabled = "UserDisabled"
    /// KDC_ERR_C_PRINCIPAL_UNKNOWN (6), or not in the directory.
    case userUnknown = "UserUnknown"
    /// No answer from the DC's KDC (port 88), or its name does not resolve.
    case unreachable = "Unreachable"
    /// Any other refusal or a malformed answer: `Detail` says which.
    case refused = "Refused"

    /// The outcome a KRB-ERROR code stands for.
    public init(_ code: KerberosErrorCode) {
        switch code.rawValue {
        case 20: self = .deniedByPolicy
        case 44: self = .keyVersionNotHeld
        case 31: self = .wrongKey
        case 35: self = .unknownServer
        case 12, 18: self = .userDisabled
        case 6: self = .userUnknown
        default: self = .refused
        }
    }
}

/// One user at one DC.
public struct SignInResult: Sendable, Equatable {
    public var user: String
    public var domainController: String
    public var outcome: SignInOutcome
    /// The kvno of the full TGT the DC issued (its own krbtgt key), when accepted.
    public var issuedKvno: Int?
    /// The groups of the denied list that match the user (DeniedByPolicy), as `policy explain` finds them.
    public var deniedBy: [String] = []
    public var detail: String?
}

/// Whether a DC answers KERB-KEY-LIST-REQ (nil: not asked, or no ticket was accepted there).
public struct KeyListSupport: Sendable, Equatable {
    public var domainController: String
    public var supported: Bool?
    public var detail: String?
}

/// A user as the directory knows it: what the cloud's ticket names.
public struct SignInUser: Sendable, Equatable {
    public var asked: String
    public var samAccountName: String
    public var sid: String
    public var dn: String
}

/// Exchanges the cloud's partial TGT for each user at each DC the directory lists, and says what
/// each DC answered. The ticket comes from `ticket` (the tenant, or minted here from the DC's key).
public struct SignInVerifier: Sendable {
    public let connection: any DirectoryConnection
    public let domain: DomainName
    public let timeout: Duration

    public init(connection: any DirectoryConnection, domain: DomainName, timeout: Duration = .seconds(10)) {
        self.connection = connection
        self.domain = domain
        self.timeout = timeout
    }

    /// The user by sAMAccountName, userPrincipalName or DN; nil when the directory has none.
    public func user(_ name: String) async throws -> SignInUser? {
        let objects = KerberosServerObjects(domain: domain)
        let filter: LDAPFilter = .and([.equal("objectCategory", "person"), .equal("objectClass", "user"),
                                       .or([.equal("sAMAccountName", name), .equal("userPrincipalName", name)])])
        let entries = name.contains("=")
            ? [try await connection.read(name, attributes: ["sAMAccountName", "objectSid"])].compactMap { $0 }
            : try await connection.search(base: objects.domainDN.description, scope: .subtree, filter: filter,
                                          attributes: ["sAMAccountName", "objectSid"])
        guard let entry = entries.first, let sam = entry.string("sAMAccountName"),
              let sid = entry.bytes("objectSid").flatMap(formatSID) else { return nil }
        return SignInUser(asked: name, samAccountName: sam, sid: sid, dn: entry.dn)
    }

    /// Each user at each DC. `address` turns a DC's host name into the IP address of its KDC.
    public func verify(users: [(SignInUser?, String, PartialTGT?)], at dcs: [DirectoryDC],
                       address: @escaping @Sendable (String) -> String?) async throws -> (results: [SignInResult], keyList: [KeyListSupport]) {
        let realm = domain.value.uppercased()
        let policy = RevealPolicyEditor(connection: connection, domain: domain)
        var results: [SignInResult] = []
        var keyList: [String: KeyListSupport] = [:]
        for dc in dcs {
            keyList[dc.name] = KeyListSupport(domainController: dc.name, supported: nil, detail: "no ticket was accepted here")
        }
        for (user, asked, tgt) in users {
            guard let user, let tgt else {
                results += dcs.map { SignInResult(user: asked, domainController: $0.name, outcome: .userUnknown, detail: "no user '\(asked)' in the directory") }
                continue
            }
            let perDC = await withTaskGroup(of: (SignInResult, KeyListSupport?).self) { group in
                for dc in dcs {
                    let probe = keyList[dc.name]?.supported == nil
                    group.addTask { await self.exchange(tgt, user: user, at: dc, realm: realm, address: address, probeKeyList: probe) }
                }
                var out: [(SignInResult, KeyListSupport?)] = []
                for await r in group { out.append(r) }
                return out
            }
            var denial: [String]?
            for (result, support) in perDC {
                var result = result
                if result.outcome == .deniedByPolicy {
                    if denial == nil {
                        let why = try? await policy.explain(user.dn)
                        denial = why.map { $0.deniedBy.isEmpty ? ["not in the allowed list (msDS-RevealOnDemandGroup)"] : $0.deniedBy.map(\.name) } ?? []
                    }
                    result.deniedBy = denial ?? []
                }
                results.append(result)
                if let support { keyList[support.domainController] = support }
            }
        }
        return (results.sorted { ($0.user, $0.domainController) < ($1.user, $1.domainController) },
                dcs.compactMap { keyList[$0.name] })
    }

    func exchange(_ tgt: PartialTGT, user: SignInUser, at dc: DirectoryDC, realm: String,
                  address: @escaping @Sendable (String) -> String?, probeKeyList: Bool) async -> (SignInResult, KeyListSupport?) {
        var result = SignInResult(user: user.asked, domainController: dc.name, outcome: .unreachable)
        guard let ip = address(dc.name) else {
            result.detail = "\(dc.name) does not resolve"
            return (result, nil)
        }
        let (timeout, start) = (self.timeout, result)
        // the exchange blocks its thread: off the cooperative pool
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var result = start
                do {
                    let kdc = try TicketExchange(kdc: ip, timeout: timeout)
                    switch try kdc.exchange(tgt, for: .krbtgt(realm: realm)) {
                    case let .refused(code, text):
                        result.outcome = SignInOutcome(code)
                        result.detail = "\(code)" + (text.map { ": \($0)" } ?? "")
                        return continuation.resume(returning: (result, nil))
                    case let .issued(kvno, _, _):
                        result.issuedKvno = kvno
                    }
                    // and a service ticket of the DC itself
                    if case let .refused(code, text) = try kdc.exchange(tgt, for: PrincipalName(nameType: 2, components: ["ldap", dc.name])) {
                        result.outcome = SignInOutcome(code) == .refused ? .refused : SignInOutcome(code)
                        result.detail = "full TGT issued, but ldap/\(dc.name) refused: \(code)" + (text.map { ": \($0)" } ?? "")
                        return continuation.resume(returning: (result, nil))
                    }
                    result.outcome = .accepted
                    var support: KeyListSupport?
                    if probeKeyList {
                        do {
                            let probe = try kdc.probeKeyList(tgt)
                            support = KeyListSupport(domainController: dc.name, supported: probe.supported,
                                                     detail: probe.supported ? nil : "no KERB-KEY-LIST-REP: no NTLM single sign-on after a cloud sign-in")
                        } catch {
                            support = KeyListSupport(domainController: dc.name, supported: nil, detail: "\(error)")
                        }
                    }
                    continuation.resume(returning: (result, support))
                } catch let error as TicketsError {
                    switch error {
                    case .unreachable, .timedOut: result.outcome = .unreachable
                    default: result.outcome = .refused
                    }
                    result.detail = "\(error)"
                    continuation.resume(returning: (result, nil))
                } catch {
                    result.outcome = .refused
                    result.detail = "\(error)"
                    continuation.resume(returning: (result, nil))
                }
            }
        }
    }
}
