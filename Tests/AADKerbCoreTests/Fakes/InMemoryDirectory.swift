import Foundation
@testable import AADKerbCore
import LDAPClient
import Basics

/// One DC of an AD domain, in memory: enough of what a Samba or Windows DC does for the core's
/// readers and writers to run against it without a network.
///
/// What it does as a DC does (each measured on the Samba test DCs, see docs/set-and-remove.md):
/// - `<SID=...>` names an object by its objectSid, for reads and as a DN-valued attribute value;
/// - an `add` with LDAP_SERVER_RODC_DCPROMO_OID assigns msDS-SecondaryKrbTgtNumber and the
///   sAMAccountName krbtgt_<n>;
/// - a `unicodePwd` write makes a new random key (the DC's own, whatever the password) with
///   kvno + 1, keeps the current one as previous, and stamps replPropertyMetaData's unicodePwd
///   entry with this DC's invocationId, a fresh USN and the time;
/// - `delete` refuses an object with children unless the tree-delete control is sent.
///
/// `replicate(to:)` copies every object and key to another DC, as inbound replication would.
/// `fail` injects an LDAP error into the next matching operation.
actor InMemoryDirectory: DirectoryConnection {
    enum Operation: Sendable, Equatable { case rootDSE, search, read, add, modify, delete }

    struct Object: Sendable {
        var dn: DistinguishedName
        var attributes: [String: [[UInt8]]]   // lowercased names
    }

    nonisolated let uri: String
    let hostName: String
    let domain: DistinguishedName
    let domainSID: String
    let invocationID: [UInt8]
    private(set) var objects: [DistinguishedName: Object] = [:]
    private(set) var keys: [DistinguishedName: AccountKeys] = [:]
    private var usn: Int64 = 4000
    private var nextRID = 1100
    private var nextKrbtgtNumber = 1000
    /// Each operation, in order (for assertions on what was written).
    private(set) var log: [(Operation, String)] = []
    /// `searchBatch` calls (one round trip each on a real connection).
    private(set) var batches = 0
    private var faults: [(Operation, String?, LDAPError)] = []
    /// When false, a unicodePwd write leaves kvno and key as they were (a DC that ignores it).
    var keyResetWorks = true
    var now: @Sendable () -> Date = Date.init

    init(domain dnsName: String, hostName: String, domainSID: String = "S-1-5-21-1004336348-1177238915-682003330") {
        self.uri = "ldaps://\(hostName)"
        self.hostName = hostName
        self.domain = DistinguishedName(domainDNSName: dnsName)
        self.domainSID = domainSID
        self.invocationID = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let d = DistinguishedName(domainDNSName: dnsName)
        var initial: [DistinguishedName: Object] = [:]
        func add(_ dn: String, _ strings: [String: [String]], sid: String? = nil) {
            var a = Self.attributes(strings)
            if let sid { a["objectsid"] = [parseSID(sid)!] }
            let name = try! DistinguishedName(parsing: dn)
            initial[name] = Object(dn: name, attributes: a)
        }
        add(d.description, ["objectClass": ["top", "domain", "domainDNS"]], sid: domainSID)
        for (rdn, cls) in [("CN=Users", "container"), ("OU=Domain Controllers", "organizationalUnit"), ("CN=System", "container"), ("CN=Builtin", "builtinDomain")] {
            add("\(rdn),\(d)", ["objectClass": ["top", cls]])
        }
        // the groups of the deny list that every domain has (Key Admins exist only from the 2016 level)
        for (rid, name) in [(512, "Domain Admins"), (513, "Domain Users"), (518, "Schema Admins"), (519, "Enterprise Admins"),
                            (572, "Denied RODC Password Replication Group")] {
            add("CN=\(name),CN=Users,\(d)", ["objectClass": ["top", "group"], "cn": [name]], sid: "\(domainSID)-\(rid)")
        }
        for (rid, name) in [(544, "Administrators"), (548, "Account Operators"), (549, "Server Operators"), (550, "Print Operators"), (551, "Backup Operators")] {
            add("CN=\(name),CN=Builtin,\(d)", ["objectClass": ["top", "group"], "cn": [name]], sid: "S-1-5-32-\(rid)")
        }
        // the configuration NC: this DC's server object and its NTDS Settings (invocationId)
        let config = "CN=Configuration,\(d)"
        let server = "CN=\(hostName.uppercased()),CN=Servers,CN=Default-First-Site-Name,CN=Sites,\(config)"
        for dn in [config, "CN=Sites,\(config)", "CN=Default-First-Site-Name,CN=Sites,\(config)", "CN=Servers,CN=Default-First-Site-Name,CN=Sites,\(config)"] {
            add(dn, ["objectClass": ["top", "container"]])
        }
        add(server, ["objectClass": ["top", "server"], "dNSHostName": [hostName]])
        add("CN=NTDS Settings,\(server)", ["objectClass": ["top", "applicationSettings", "nTDSDSA"]])
        initial[try! DistinguishedName(parsing: "CN=NTDS Settings,\(server)")]!.attributes["invocationid"] = [invocationID]
        objects = initial
    }

    private static func attributes(_ strings: [String: [String]]) -> [String: [[UInt8]]] {
        var a: [String: [[UInt8]]] = [:]
        for (k, v) in strings { a[k.lowercased()] = v.map { Array($0.utf8) } }
        a["objectguid"] = [(0..<16).map { _ in UInt8.random(in: 0...255) }]
        return a
    }

    // MARK: - set-up and inspection

    private func put(_ dn: DistinguishedName, _ strings: [String: [String]]) {
        put(dn, Self.attributes(strings))
    }
    private func put(_ dn: DistinguishedName, _ attributes: [String: [[UInt8]]]) {
        var a: [String: [[UInt8]]] = [:]
        for (k, v) in attributes { a[k.lowercased()] = v }
        if a["objectguid"] == nil { a["objectguid"] = [(0..<16).map { _ in UInt8.random(in: 0...255) }] }
        objects[dn] = Object(dn: dn, attributes: a)
    }

    /// Adds a writable DC's computer object (as `DomainControllers` finds it).
    func addDC(_ hostName: String, writable: Bool = true) {
        let cn = hostName.split(separator: ".").first.map(String.init)!.uppercased()
        put(try! DistinguishedName(parsing: "CN=\(cn),OU=Domain Controllers,\(domain)"),
            ["objectClass": ["top", "computer"], "dNSHostName": [hostName],
             "userAccountControl": [String(writable ? 0x82000 : 0x0400_1000)]])
    }

    func object(_ dn: String) -> Object? { (try? DistinguishedName(parsing: dn)).flatMap { objects[$0] } }
    func kvno(_ dn: String) -> Int64? { object(dn)?.attributes["msds-keyversionnumber"]?.first.flatMap { Int64(String(decoding: $0, as: UTF8.self)) } }
    func accountKeys(_ dn: String) -> AccountKeys? { (try? DistinguishedName(parsing: dn)).flatMap { keys[$0] } }

    /// Sets attributes directly (breaking the server the way an admin or a bug might).
    func set(_ dn: String, _ name: String, _ values: [String]?) {
        let d = try! DistinguishedName(parsing: dn)
        objects[d]?.attributes[name.lowercased()] = values.map { $0.map { Array($0.utf8) } }
    }
    func remove(_ dn: String) { objects[try! DistinguishedName(parsing: dn)] = nil }

    /// Copies every object and key to `other`, as inbound replication would.
    func replicate(to other: InMemoryDirectory) async {
        await other.receive(objects: objects, keys: keys)
    }
    private func receive(objects: [DistinguishedName: Object], keys: [DistinguishedName: AccountKeys]) {
        self.objects = objects
        self.keys = keys
    }

    /// The next `operation` (on `dn`, when given) fails with `error`.
    func fail(_ operation: Operation, on dn: String? = nil, with error: LDAPError? = nil) {
        faults.append((operation, dn, error ?? LDAPError(code: .unavailable, diagnosticMessage: "injected", operation: "\(operation)", target: dn)))
    }
    private func injected(_ operation: Operation, _ dn: String) throws {
        log.append((operation, dn))
        if let i = faults.firstIndex(where: { $0.0 == operation && ($0.1 == nil || Self.same($0.1!, dn)) }) {
            throw faults.remove(at: i).2
        }
    }
    private static func same(_ a: String, _ b: String) -> Bool {
        (try? DistinguishedName(parsing: a)) == (try? DistinguishedName(parsing: b))
    }
    func clearLog() { log = []; batches = 0 }
    func writes() -> [String] { log.filter { [.add, .modify, .delete].contains($0.0) }.map { "\($0.0) \($0.1)" } }

    // MARK: - DirectoryConnection

    func rootDSE(attributes: [String]) async throws -> LDAPEntry {
        try injected(.rootDSE, "")
        let config = "CN=Configuration,\(domain)"
        let all: [String: [[UInt8]]] = [
            "defaultnamingcontext": [Array(domain.description.utf8)],
            "configurationnamingcontext": [Array(config.utf8)],
            "dnshostname": [Array(hostName.utf8)],
            "dsservicename": [Array("CN=NTDS Settings,CN=\(hostName.uppercased()),CN=Servers,CN=Default-First-Site-Name,CN=Sites,\(config)".utf8)],
            "currenttime": [Array(Self.generalizedTime(now()).utf8)],
        ]
        return LDAPEntry(dn: "", attributes: Self.select(all, attributes))
    }

    func search(base: String, scope: LDAPScope, filter: LDAPFilter, attributes: [String],
                controls: [LDAPRequestControl], pageSize: Int) async throws -> [LDAPEntry] {
        try injected(.search, base)
        if base.isEmpty && scope == .base { return [try await rootDSE(attributes: attributes)] }  // the root DSE, as a DC answers it
        let b = try resolve(base)
        guard objects[b] != nil else {
            throw LDAPError(code: .noSuchObject, diagnosticMessage: "no such object", operation: "search", target: base)
        }
        return objects.values.filter { o in
            switch scope {
            case .base: return o.dn == b
            case .oneLevel: return o.dn.parent == b
            default: return o.dn == b || o.dn.isDescendant(of: b)
            }
        }.filter { matches(filter, $0) }
        .sorted { $0.dn.description < $1.dn.description }
        .map { LDAPEntry(dn: $0.dn.description, attributes: Self.select($0.attributes, attributes)) }
    }

    /// One search after the other, with the size limit checked as `LDAPConnection` checks it.
    func searchBatch(_ requests: [LDAPSearchRequest]) async throws -> [Result<[LDAPEntry], LDAPError>] {
        batches += 1
        var results: [Result<[LDAPEntry], LDAPError>] = []
        for r in requests {
            do {
                let entries = try await search(base: r.base, scope: r.scope, filter: r.filter, attributes: r.attributes,
                                               controls: r.controls, pageSize: r.pageSize)
                if r.sizeLimit > 0, entries.count > r.sizeLimit {
                    results.append(.failure(LDAPError(code: .sizeLimitExceeded, operation: "search", target: r.base)))
                } else {
                    results.append(.success(entries))
                }
            } catch let error as LDAPError {
                results.append(.failure(error))
            }
        }
        return results
    }

    func read(_ dn: String, attributes: [String], controls: [LDAPRequestControl]) async throws -> LDAPEntry? {
        try injected(.read, dn)
        guard let d = try? resolve(dn), let o = objects[d] else { return nil }
        return LDAPEntry(dn: o.dn.description, attributes: Self.select(o.attributes, attributes))
    }

    func add(_ dn: String, attributes: [LDAPModification], controls: [LDAPRequestControl]) async throws {
        try injected(.add, dn)
        let d = try parse(dn, "add")
        guard objects[d] == nil else { throw LDAPError(code: .entryAlreadyExists, diagnosticMessage: "entry exists", operation: "add", target: dn) }
        guard let parent = d.parent, objects[parent] != nil else {
            throw LDAPError(code: .noSuchObject, diagnosticMessage: "parent does not exist", operation: "add", target: dn)
        }
        var a: [String: [[UInt8]]] = [:]
        var password = false
        for m in attributes {
            if m.attribute.lowercased() == "unicodepwd" { password = true; continue }
            a[m.attribute.lowercased(), default: []] += try m.values.map(dnValue)
        }
        let classes = (a["objectclass"] ?? []).map { String(decoding: $0, as: UTF8.self).lowercased() }
        if classes.contains("user") || classes.contains("computer") {
            a["objectsid"] = [parseSID("\(domainSID)-\(nextRID)")!]
            nextRID += 1
        }
        if controls.contains(.rodcDCPromo) {
            nextKrbtgtNumber += 1
            a["msds-secondarykrbtgtnumber"] = [Array(String(nextKrbtgtNumber).utf8)]
            a["samaccountname"] = [Array("krbtgt_\(nextKrbtgtNumber)".utf8)]
            password = true  // the DC gives the new krbtgt account a key of its own
        }
        a["pwdlastset"] = [Array("0".utf8)]
        put(d, a)
        if password { newKey(d) }
    }

    func modify(_ dn: String, _ modifications: [LDAPModification], controls: [LDAPRequestControl]) async throws {
        try injected(.modify, dn)
        guard let d = try? resolve(dn), var o = objects[d] else {
            throw LDAPError(code: .noSuchObject, diagnosticMessage: "no such object", operation: "modify", target: dn)
        }
        var password = false
        for m in modifications {
            let name = m.attribute.lowercased()
            if name == "unicodepwd" { password = true; continue }
            let values = try m.values.map(dnValue)
            switch m.operation {
            case .add:
                let existing = o.attributes[name] ?? []
                if values.contains(where: existing.contains) {
                    throw LDAPError(code: .attributeOrValueExists, diagnosticMessage: "value exists", operation: "modify", target: dn)
                }
                o.attributes[name] = existing + values
            case .replace:
                o.attributes[name] = values.isEmpty ? nil : values
            case .delete:
                o.attributes[name] = values.isEmpty ? nil : (o.attributes[name] ?? []).filter { !values.contains($0) }
            }
        }
        objects[d] = o
        if password && keyResetWorks { newKey(d) }
    }

    func delete(_ dn: String, controls: [LDAPRequestControl]) async throws {
        try injected(.delete, dn)
        guard let d = try? resolve(dn), objects[d] != nil else {
            throw LDAPError(code: .noSuchObject, diagnosticMessage: "no such object", operation: "delete", target: dn)
        }
        let children = objects.keys.filter { $0.isDescendant(of: d) }
        if !children.isEmpty && !controls.contains(.treeDelete) {
            throw LDAPError(code: .notAllowedOnNonLeaf, diagnosticMessage: "has children", operation: "delete", target: dn)
        }
        for c in children + [d] { objects[c] = nil; keys[c] = nil }
    }

    // MARK: - a DC's own behaviour

    /// A new random key with kvno + 1; the current one becomes previous; the metadata stamped.
    private func newKey(_ d: DistinguishedName) {
        let kvno = (objects[d]?.attributes["msds-keyversionnumber"]?.first.flatMap { Int64(String(decoding: $0, as: UTF8.self)) } ?? 0) + 1
        keys[d] = AccountKeys(current: Secret(bytes: (0..<32).map { _ in UInt8.random(in: 0...255) }), previous: keys[d]?.current)
        usn += 1
        let seconds = UInt64(now().timeIntervalSince1970 + 11_644_473_600)
        func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
        let version = UInt32(kvno)
        let blob = le(UInt32(1)) + le(UInt32(0)) + le(UInt32(1)) + le(UInt32(0))
            + le(ReplicationMetadata.unicodePwd) + le(version) + le(seconds) + invocationID + le(UInt64(usn)) + le(UInt64(usn))
        objects[d]?.attributes["msds-keyversionnumber"] = [Array(String(kvno).utf8)]
        objects[d]?.attributes["replpropertymetadata"] = [blob]
        objects[d]?.attributes["pwdlastset"] = [Array(String(Int64(seconds) * 10_000_000).utf8)]
    }

    /// `<SID=...>` to the DN of the object with that SID; other strings parsed as DNs.
    private func resolve(_ dn: String) throws -> DistinguishedName {
        if dn.hasPrefix("<SID="), dn.hasSuffix(">") {
            let sid = parseSID(String(dn.dropFirst(5).dropLast()))
            guard let o = objects.values.first(where: { $0.attributes["objectsid"]?.first == sid }) else {
                throw LDAPError(code: .noSuchObject, diagnosticMessage: "no object with \(dn)", operation: "resolve", target: dn)
            }
            return o.dn
        }
        return try parse(dn, "resolve")
    }
    private func parse(_ dn: String, _ operation: String) throws -> DistinguishedName {
        do { return try DistinguishedName(parsing: dn) } catch {
            throw LDAPError(code: .invalidDNSyntax, diagnosticMessage: "\(error)", operation: operation, target: dn)
        }
    }
    /// A `<SID=...>` value of a DN-valued attribute is stored as the DN it names, as a DC does.
    private func dnValue(_ value: [UInt8]) throws -> [UInt8] {
        let s = String(decoding: value, as: UTF8.self)
        guard s.hasPrefix("<SID=") else { return value }
        return Array(try resolve(s).description.utf8)
    }

    private func matches(_ filter: LDAPFilter, _ o: Object) -> Bool {
        func values(_ name: String) -> [[UInt8]] {
            name.lowercased() == "distinguishedname" ? [Array(o.dn.description.utf8)] : o.attributes[name.lowercased()] ?? []
        }
        switch filter {
        case let .equal(name, value):
            if name.lowercased() == "distinguishedname" { return (try? DistinguishedName(parsing: value)) == o.dn }
            return values(name).contains { String(decoding: $0, as: UTF8.self).lowercased() == value.lowercased() }
        case let .equalBytes(name, bytes): return values(name).contains(bytes)
        case let .present(name): return !values(name).isEmpty
        case let .and(parts): return parts.allSatisfy { matches($0, o) }
        case let .or(parts): return parts.contains { matches($0, o) }
        case let .not(part): return !matches(part, o)
        case let .bitwiseAnd(name, mask):
            return values(name).contains { (UInt32(String(decoding: $0, as: UTF8.self)) ?? 0) & mask == mask }
        }
    }

    private static func select(_ all: [String: [[UInt8]]], _ wanted: [String]) -> [String: [[UInt8]]] {
        if wanted.isEmpty || wanted.contains("*") { return all }
        var out: [String: [[UInt8]]] = [:]
        for name in wanted { if let v = all[name.lowercased()] { out[name] = v } }
        return out
    }

    static func generalizedTime(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMddHHmmss'.0Z'"
        return f.string(from: date)
    }
}

/// Reads keys as DRSUAPI would, from the DC the directory fake is.
struct InMemoryKeyReader: AccountKeyReader {
    let dc: InMemoryDirectory
    func keys(accountDN: String) async throws -> AccountKeys {
        guard let keys = await dc.accountKeys(accountDN) else {
            throw AADKerbError.malformedObject(dn: accountDN, reason: "no keys")
        }
        return keys
    }
}
