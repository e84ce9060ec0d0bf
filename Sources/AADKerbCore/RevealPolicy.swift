import Foundation
import LDAPClient

/// The password replication ("reveal") policy of the AzureADKerberos read-only DC object:
/// msDS-RevealOnDemandGroup (allowed) and msDS-NeverRevealGroup (denied; denial wins).
public struct RevealPolicy: Sendable {
    public struct Principal: Sendable, Equatable, Hashable {
        public var dn: String
        public var sid: String?
        public var name: String
    }
    public enum List: String, Sendable {
        case allowed = "msDS-RevealOnDemandGroup"
        case denied = "msDS-NeverRevealGroup"
    }
    public var allowed: [Principal]
    public var denied: [Principal]
}

/// Why a user would (not) get a partial TGT from the cloud: the user's own SID and every group
/// it belongs to, nested and primary included (tokenGroups), against the two lists.
public struct RevealExplanation: Sendable {
    public enum Verdict: String, Sendable {
        case allowed = "Allowed"
        case denied = "Denied"
        case notAllowed = "NotAllowed"
    }
    public var principal: RevealPolicy.Principal
    public var verdict: Verdict
    /// The entries of the denied list that match (any match denies).
    public var deniedBy: [RevealPolicy.Principal]
    /// The entries of the allowed list that match.
    public var allowedBy: [RevealPolicy.Principal]
    /// How many groups the principal belongs to, nested and primary included.
    public var groupCount: Int
}

public enum RevealPolicyError: Error, Sendable, CustomStringConvertible {
    case notFound(String)
    case ambiguous(String, [String])
    case noComputerObject(String)

    public var description: String {
        switch self {
        case let .notFound(name): return "no user, group or computer named '\(name)' in the domain"
        case let .ambiguous(name, dns): return "'\(name)' matches several objects: \(dns.joined(separator: "; ")); give the DN or the SID"
        case let .noComputerObject(dn): return "\(dn) does not exist; run aadkerb set first"
        }
    }
}

public struct RevealPolicyEditor: Sendable {
    public let connection: any DirectoryConnection
    public let objects: KerberosServerObjects

    public init(connection: any DirectoryConnection, domain: DomainName) {
        self.connection = connection
        objects = KerberosServerObjects(domain: domain)
    }

    public func read() async throws -> RevealPolicy {
        let computerDN = objects.computer.description
        guard let computer = try await connection.read(computerDN, attributes: Self.listAttributes) else {
            throw RevealPolicyError.noComputerObject(computerDN)
        }
        return try await policy(of: computer)
    }

    static let listAttributes = [RevealPolicy.List.allowed.rawValue, RevealPolicy.List.denied.rawValue]
    static let principalAttributes = ["objectSid", "sAMAccountName", "cn"]

    /// The lists of the computer object (read with `listAttributes`), each entry read for its SID
    /// and name: all the entries' reads go at once (`searchBatch`: one round trip on a network,
    /// not one per entry).
    func policy(of computer: LDAPEntry) async throws -> RevealPolicy {
        let allowedDNs = computer.strings(RevealPolicy.List.allowed.rawValue)
        let deniedDNs = computer.strings(RevealPolicy.List.denied.rawValue)
        let all = try await principals(allowedDNs + deniedDNs)
        return RevealPolicy(allowed: Array(all.prefix(allowedDNs.count)), denied: Array(all.dropFirst(allowedDNs.count)))
    }

    /// A user, group or computer by SID (`S-1-...`), DN, UPN (`name@domain`) or sAMAccountName.
    public func resolve(_ name: String) async throws -> RevealPolicy.Principal {
        let filter: LDAPFilter
        if name.uppercased().hasPrefix("S-1-"), let sid = parseSID(name) {
            filter = .equalBytes("objectSid", sid)
        } else if name.contains("=") {
            guard let entry = try await connection.read(name, attributes: Self.principalAttributes) else { throw RevealPolicyError.notFound(name) }
            return Self.principal(dn: name, entry)
        } else if name.contains("@") {
            filter = .equal("userPrincipalName", name)
        } else {
            filter = .or([.equal("sAMAccountName", name), .equal("sAMAccountName", name + "$")])
        }
        let found = try await connection.search(base: objects.domainDN.description, scope: .subtree,
                                                filter: .and([filter, .present("objectSid")]), attributes: ["objectSid", "sAMAccountName", "cn"])
        guard let first = found.first else { throw RevealPolicyError.notFound(name) }
        guard found.count == 1 else { throw RevealPolicyError.ambiguous(name, found.map(\.dn)) }
        return RevealPolicy.Principal(dn: first.dn, sid: first.bytes("objectSid").flatMap(formatSID),
                                      name: first.string("sAMAccountName") ?? first.string("cn") ?? first.dn)
    }

    /// Adds principals to, or removes them from, one list; what is already so is skipped.
    public func change(_ list: RevealPolicy.List, add: [RevealPolicy.Principal], remove: [RevealPolicy.Principal], dryRun: Bool) async throws -> [Step] {
        let current = try await read()
        let present = Set((list == .allowed ? current.allowed : current.denied).compactMap(\.sid))
        var steps: [Step] = []
        var mods: [LDAPModification] = []
        for p in add where !present.contains(p.sid ?? "") {
            steps.append(Step(.onPrem, "Add", objects.computer.description, "\(list.rawValue): \(p.name) (\(p.sid ?? p.dn))"))
            mods.append(LDAPModification(.add, list.rawValue, strings: [p.sid.map { "<SID=\($0)>" } ?? p.dn]))
        }
        for p in remove where present.contains(p.sid ?? "") {
            steps.append(Step(.onPrem, "Remove", objects.computer.description, "\(list.rawValue): \(p.name) (\(p.sid ?? p.dn))"))
            mods.append(LDAPModification(.delete, list.rawValue, strings: [p.sid.map { "<SID=\($0)>" } ?? p.dn]))
        }
        if !dryRun && !mods.isEmpty { try await connection.modify(objects.computer.description, mods) }
        return steps
    }

    /// Back to what `set` writes: deny the privileged groups that exist in the domain, allow
    /// Domain Users; every other entry of either list is removed.
    public func reset(dryRun: Bool) async throws -> [Step] {
        guard let domainSID = try await connection.read(objects.domainDN.description, attributes: ["objectSid"])?
            .bytes("objectSid").flatMap(formatSID) else {
            throw AADKerbError.malformedObject(dn: objects.domainDN.description, reason: "objectSid is not readable")
        }
        func principals(_ sids: [String]) async throws -> [RevealPolicy.Principal] {
            var out: [RevealPolicy.Principal] = []
            for sid in sids {
                if let p = try? await resolve(sid) { out.append(p) }  // e.g. Enterprise Admins only in the forest root
            }
            return out
        }
        let deny = try await principals(KerberosServerSetter.neverRevealBuiltin + KerberosServerSetter.neverRevealDomainRIDs.map { "\(domainSID)-\($0)" })
        let allow = try await principals(KerberosServerSetter.revealOnDemandDomainRIDs.map { "\(domainSID)-\($0)" })
        let current = try await read()
        func extra(_ list: [RevealPolicy.Principal], keeping wanted: [RevealPolicy.Principal]) -> [RevealPolicy.Principal] {
            list.filter { p in !wanted.contains { $0.sid == p.sid } }
        }
        return try await change(.denied, add: deny, remove: extra(current.denied, keeping: deny), dryRun: dryRun)
            + change(.allowed, add: allow, remove: extra(current.allowed, keeping: allow), dryRun: dryRun)
    }

    /// Why `name` would or would not have its keys revealed to the cloud.
    public func explain(_ name: String) async throws -> RevealExplanation {
        let who = try await resolve(name)
        // the policy's object and the principal's tokenGroups (every group SID, transitively,
        // primary group included) in one round trip; then the lists' entries in one more
        let computerDN = objects.computer.description
        let read = try await connection.searchBatch([.read(computerDN, attributes: Self.listAttributes), .read(who.dn, attributes: ["tokenGroups"])])
        guard let computer = try Self.entry(read[0]) else { throw RevealPolicyError.noComputerObject(computerDN) }
        let token = try Self.entry(read[1])
        let policy = try await policy(of: computer)
        let groups = Set((token?.values("tokenGroups") ?? []).compactMap(formatSID))
        let sids = groups.union([who.sid].compactMap { $0 })
        let deniedBy = policy.denied.filter { $0.sid.map(sids.contains) ?? false }
        let allowedBy = policy.allowed.filter { $0.sid.map(sids.contains) ?? false }
        let verdict: RevealExplanation.Verdict = !deniedBy.isEmpty ? .denied : (allowedBy.isEmpty ? .notAllowed : .allowed)
        return RevealExplanation(principal: who, verdict: verdict, deniedBy: deniedBy, allowedBy: allowedBy, groupCount: groups.count)
    }

    /// Each DN read for its SID and name, in batches (a DN that does not exist keeps its DN as name).
    private func principals(_ dns: [String]) async throws -> [RevealPolicy.Principal] {
        var out: [RevealPolicy.Principal] = []
        var rest = dns[...]
        while !rest.isEmpty {
            let chunk = rest.prefix(Self.batchSize)
            rest = rest.dropFirst(chunk.count)
            let results = try await connection.searchBatch(chunk.map { .read($0, attributes: Self.principalAttributes) })
            for (dn, result) in zip(chunk, results) { out.append(Self.principal(dn: dn, try Self.entry(result))) }
        }
        return out
    }

    /// At most this many reads outstanding at once on the connection.
    static let batchSize = 64

    /// A base read's entry from a batch, as `read` answers: nil when the object does not exist.
    static func entry(_ result: Result<[LDAPEntry], LDAPError>) throws -> LDAPEntry? {
        switch result {
        case let .success(entries): return entries.first
        case let .failure(error) where error.code == .noSuchObject: return nil
        case let .failure(error): throw error
        }
    }

    static func principal(dn: String, _ entry: LDAPEntry?) -> RevealPolicy.Principal {
        RevealPolicy.Principal(dn: dn, sid: entry?.bytes("objectSid").flatMap(formatSID),
                               name: entry?.string("sAMAccountName") ?? entry?.string("cn") ?? dn)
    }
}
