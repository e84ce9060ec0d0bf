import Foundation
import DNSClient
import LDAPClient

/// A DC that the directory itself lists: a computer under OU=Domain Controllers with
/// SERVER_TRUST_ACCOUNT (writable) or PARTIAL_SECRETS_ACCOUNT (read-only) and a dNSHostName.
///
/// Besides the server the admin names, these are the only hosts aadkerb signs in to. Only
/// `DomainControllers` makes one (from a directory search), so a name that DNS, a referral or any
/// other answer supplied cannot reach a function that binds with the admin's credentials: a DNS
/// server, or anyone who can add a record to AD-integrated DNS, chooses the host name, and a
/// certificate trusted for a name of one's choosing is easy to get (docs/security.md).
public struct DirectoryDC: Sendable, Hashable, CustomStringConvertible {
    /// dNSHostName, lowercased.
    public let name: String
    public let writable: Bool

    init(name: String, writable: Bool) {
        self.name = name.lowercased()
        self.writable = writable
    }

    public var description: String { name }
}

/// What a DC reports for the krbtgt account's key.
public struct DCKeyState: Sendable, Equatable {
    /// Why a DC's kvno is not known, or not the current object's.
    public enum Problem: Sendable, Equatable, CustomStringConvertible {
        /// No way to reach other DCs was given.
        case notChecked
        /// The DC answered, but does not hold the account (not replicated there yet, or removed).
        case accountNotFound(dn: String)
        /// The DC holds an older object of the same name (another objectGUID): the current one
        /// has not replicated there yet.
        case olderObject(dn: String)
        /// TLS, the credentials or the access were refused: asking again within a run cannot help.
        case refused(String)
        /// Not reached (down, timed out, dropped): worth asking again.
        case unreachable(String)
        /// A host that DNS names but the directory does not list: never signed in to. `check` is
        /// the outcome of the unauthenticated LDAPS check, if it failed.
        case notTrusted(check: String?)

        public var description: String {
            switch self {
            case .notChecked: "not checked"
            case let .accountNotFound(dn): "\(dn) not found"
            case let .olderObject(dn): "holds an older \(dn) (another objectGUID): the current one has not replicated there yet"
            case let .refused(text), let .unreachable(text): text
            case let .notTrusted(check): DCKeyState.notTrusted + (check.map { "; \($0)" } ?? "")
            }
        }
    }
    /// Said of a host that only DNS named.
    public static let notTrusted = "in DNS only: not trusted (not a DC under OU=Domain Controllers); no credentials sent"
    /// Why the kvno is not known (nil: the DC answered with the account).
    public var error: String? { problem?.description }
    public var name: String
    public var kvno: Int64?
    public var converged: Bool
    public var problem: Problem?

    public init(name: String, kvno: Int64?, converged: Bool, problem: Problem? = nil) {
        self.name = name
        self.kvno = kvno
        self.converged = converged
        self.problem = problem
    }

    /// False when asking again cannot help (TLS or credentials refused, not trusted): waiting stops for it.
    public var retryable: Bool {
        switch problem {
        case .refused, .notTrusted: false
        default: true
        }
    }
    /// False for a host that only DNS named: it was not signed in to (no credentials were sent).
    public var trusted: Bool {
        if case .notTrusted = problem { return false }
        return true
    }
    /// The DC answered (the account may still be missing there).
    public var answered: Bool {
        switch problem {
        case nil, .accountNotFound, .olderObject: true
        default: false
        }
    }

    /// A host that DNS names but the directory does not list: never signed in to.
    public static func dnsOnly(_ name: String, check: String? = nil) -> DCKeyState {
        DCKeyState(name: name.lowercased(), kvno: nil, converged: false, problem: .notTrusted(check: check))
    }
}

/// The DCs of a domain, from the directory (and DNS).
public enum DomainControllers {
    /// A DC as the directory and DNS know it.
    public struct Info: Sendable, Equatable {
        public var name: String
        public var srv: SRVRecord?
        /// Set when the directory lists the DC: the only form in which credentials may go to it.
        public var directory: DirectoryDC?
        public var operatingSystem: String?
        public var operatingSystemVersion: String?

        public var inDirectory: Bool { directory != nil }
        /// true writable, false read-only, nil not in the directory.
        public var writable: Bool? { directory?.writable }
    }

    /// Every DC under OU=Domain Controllers with a host name (writable: SERVER_TRUST_ACCOUNT;
    /// read-only: PARTIAL_SECRETS_ACCOUNT; the AzureADKerberos object has no host name and is
    /// left out), merged with the SRV records found in DNS, in SRV order then by name.
    public static func inventory(connection: any DirectoryConnection, objects: KerberosServerObjects, srv: [SRVRecord]) async throws -> [Info] {
        var infos: [Info] = srv.map { Info(name: $0.target.lowercased(), srv: $0) }
        for (dc, entry) in try await search(connection: connection, objects: objects, writableOnly: false) {
            let index = infos.firstIndex { $0.name == dc.name } ?? { infos.append(Info(name: dc.name, srv: nil)); return infos.count - 1 }()
            infos[index].directory = dc
            infos[index].operatingSystem = entry.string("operatingSystem")
            infos[index].operatingSystemVersion = entry.string("operatingSystemVersion")
        }
        return infos
    }

    /// The writable DCs of the directory, by name.
    public static func writable(connection: any DirectoryConnection, objects: KerberosServerObjects) async throws -> [DirectoryDC] {
        try await search(connection: connection, objects: objects, writableOnly: true).map(\.0).sorted { $0.name < $1.name }
    }

    /// Every DC the directory lists, writable and read-only.
    public static func all(connection: any DirectoryConnection, objects: KerberosServerObjects) async throws -> [DirectoryDC] {
        try await search(connection: connection, objects: objects, writableOnly: false).map(\.0).sorted { $0.name < $1.name }
    }

    /// The one search that makes `DirectoryDC`s.
    static func search(connection: any DirectoryConnection, objects: KerberosServerObjects, writableOnly: Bool) async throws -> [(DirectoryDC, LDAPEntry)] {
        let kinds: LDAPFilter = writableOnly
            ? .bitwiseAnd("userAccountControl", 0x2000)
            : .or([.bitwiseAnd("userAccountControl", 0x2000), .bitwiseAnd("userAccountControl", 0x0400_0000)])
        let entries = try await connection.search(
            base: "OU=Domain Controllers,\(objects.domainDN.description)", scope: .subtree,
            filter: .and([.equal("objectClass", "computer"), .present("dNSHostName"), kinds]),
            attributes: ["dNSHostName", "userAccountControl", "operatingSystem", "operatingSystemVersion"])
        return entries.compactMap { entry in
            guard let name = entry.string("dNSHostName"), !name.isEmpty else { return nil }
            let uac = UInt32(entry.integer("userAccountControl") ?? 0)
            return (DirectoryDC(name: name, writable: uac & 0x2000 != 0), entry)
        }
    }

    /// The hosts of `names` that the directory does not list, lowercased, each once, in order.
    public static func notInDirectory(_ names: [String], directory: [DirectoryDC]) -> [String] {
        let known = Set(directory.map(\.name))
        var seen = Set<String>()
        return names.map { $0.lowercased() }.filter { !known.contains($0) && seen.insert($0).inserted }
    }

    /// For each host, whether it answers LDAP without credentials: a TLS handshake (LDAPS on 636
    /// when `ldaps`, else the scheme of `configuration`: LDAPS or StartTLS) with a certificate that
    /// the CA file of `configuration` (or the system's) trusts for that name, and an anonymous root
    /// DSE read. Never a bind: this is the only check a host that only DNS named may get. Each host
    /// concurrently, at most `limit` at a time. Returns the failures: host -> error.
    public static func anonymousCheckFailures(hosts: [String], like configuration: LDAPConfiguration, ldaps: Bool = true,
                                              limit: Int = 16) async -> [String: String] {
        @Sendable func check(_ host: String) async -> (String, String?) {
            var c = configuration
            let secure = ldaps || c.security == .ldaps
            c.uri = (secure ? "ldaps://" : "ldap://") + host
            c.security = secure ? .ldaps : .startTLS
            do {
                let connection = try await LDAPConnection.open(c)
                _ = try await connection.rootDSE(attributes: ["dnsHostName"])
                return (host, nil)
            } catch {
                return (host, "\(error)")
            }
        }
        return await withTaskGroup(of: (String, String?).self) { group in
            var pending = hosts[...]
            for _ in 0..<max(1, limit) {
                guard let host = pending.popFirst() else { break }
                group.addTask { await check(host) }
            }
            var failures: [String: String] = [:]
            for await (host, error) in group {
                if let error { failures[host] = error }
                if let next = pending.popFirst() { group.addTask { await check(next) } }
            }
            return failures
        }
    }

    /// Reads an account's msDS-KeyVersionNumber on DCs the directory lists (default: every
    /// writable DC), concurrently: the DC `connection` talks to (named `connectedDC`) through it,
    /// the others through `connectToDC`. A DC that cannot be reached is reported with its error,
    /// not thrown. `converged`: the DC holds at least `expected` (or, without `expected`, answered).
    public static func keyVersions(connection: any DirectoryConnection, objects: KerberosServerObjects, accountDN: String,
                                   connectedDC: String?, connectToDC: (@Sendable (DirectoryDC) async throws -> any DirectoryConnection)?,
                                   expected: Int64? = nil, dcs given: [DirectoryDC]? = nil) async throws -> [DCKeyState] {
        let dcs: [DirectoryDC]
        if let given { dcs = given } else { dcs = try await writable(connection: connection, objects: objects) }
        // the account as the connected DC has it: another DC still holding an object of the same
        // name that was deleted and made again (set after remove) must not count as converged
        let guid = try await connection.read(accountDN, attributes: ["objectGUID"])?.bytes("objectGUID")
        return await keyVersions(connection: connection, objects: objects, accountDN: accountDN, accountGUID: guid, connectedDC: connectedDC,
                                 connectToDC: connectToDC, expected: expected, dcs: dcs)
    }

    /// As above, with the account's objectGUID on the connected DC already read (nil: the account
    /// is not there), as a caller that polls reads it once.
    static func keyVersions(connection: any DirectoryConnection, objects: KerberosServerObjects, accountDN: String, accountGUID guid: [UInt8]?,
                            connectedDC: String?, connectToDC: (@Sendable (DirectoryDC) async throws -> any DirectoryConnection)?,
                            expected: Int64?, dcs: [DirectoryDC]) async -> [DCKeyState] {
        await withTaskGroup(of: DCKeyState.self) { group in
            for dc in dcs {
                group.addTask {
                    let name = dc.name
                    do {
                        let c: any DirectoryConnection
                        if name == connectedDC?.lowercased() {
                            c = connection
                        } else if let connectToDC {
                            c = try await connectToDC(dc)
                        } else {
                            return DCKeyState(name: name, kvno: nil, converged: false, problem: .notChecked)
                        }
                        let entry = try await c.read(accountDN, attributes: ["msDS-KeyVersionNumber", "objectGUID"])
                        if let guid, let theirs = entry?.bytes("objectGUID"), theirs != guid {
                            return DCKeyState(name: name, kvno: nil, converged: false, problem: .olderObject(dn: accountDN))
                        }
                        let kvno = entry?.integer("msDS-KeyVersionNumber")
                        let converged = expected.map { (kvno ?? 0) >= $0 } ?? (kvno != nil)
                        return DCKeyState(name: name, kvno: kvno, converged: converged, problem: kvno == nil ? .accountNotFound(dn: accountDN) : nil)
                    } catch let error as LDAPError where [.tls, .authentication, .accessDenied].contains(error.kind) {
                        return DCKeyState(name: name, kvno: nil, converged: false, problem: .refused("\(error)"))
                    } catch {
                        return DCKeyState(name: name, kvno: nil, converged: false, problem: .unreachable("\(error)"))
                    }
                }
            }
            var states: [DCKeyState] = []
            for await state in group { states.append(state) }
            return states.sorted { $0.name < $1.name }
        }
    }
}
