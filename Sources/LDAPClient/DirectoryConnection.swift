/// The directory operations the core needs from one DC: what `LDAPConnection` does over the
/// network, and what an in-memory directory does in unit tests. Results and failures are the
/// LDAP layer's own types (`LDAPEntry`, `LDAPError`), so a fake answers exactly as a DC would:
/// a missing object on `read` is nil, a write that the server refuses throws `LDAPError`.
public protocol DirectoryConnection: Sendable {
    /// The server's URI, as given (for messages).
    var uri: String { get }
    /// The root DSE, with these attributes.
    func rootDSE(attributes: [String]) async throws -> LDAPEntry
    /// Every entry under `base` within `scope` that matches `filter` (all pages).
    func search(base: String, scope: LDAPScope, filter: LDAPFilter, attributes: [String],
                controls: [LDAPRequestControl], pageSize: Int) async throws -> [LDAPEntry]
    /// One object; nil if it does not exist.
    func read(_ dn: String, attributes: [String], controls: [LDAPRequestControl]) async throws -> LDAPEntry?
    func add(_ dn: String, attributes: [LDAPModification], controls: [LDAPRequestControl]) async throws
    func modify(_ dn: String, _ modifications: [LDAPModification], controls: [LDAPRequestControl]) async throws
    func delete(_ dn: String, controls: [LDAPRequestControl]) async throws
    /// Several searches at once (one round trip on a network), each with its own result.
    func searchBatch(_ requests: [LDAPSearchRequest]) async throws -> [Result<[LDAPEntry], LDAPError>]
}

/// The defaults `LDAPConnection`'s own methods have, for callers holding `any DirectoryConnection`.
/// (No default `searchBatch`: an async default here would be preferred over LDAPConnection's own,
/// pipelined one, in async contexts and as the protocol's witness.)
extension DirectoryConnection {
    public func search(base: String, scope: LDAPScope = .subtree, filter: LDAPFilter = .present("objectClass"),
                       attributes: [String], controls: [LDAPRequestControl] = []) async throws -> [LDAPEntry] {
        try await search(base: base, scope: scope, filter: filter, attributes: attributes, controls: controls, pageSize: 500)
    }
    public func read(_ dn: String, attributes: [String]) async throws -> LDAPEntry? {
        try await read(dn, attributes: attributes, controls: [])
    }
    public func add(_ dn: String, attributes: [LDAPModification]) async throws {
        try await add(dn, attributes: attributes, controls: [])
    }
    public func modify(_ dn: String, _ modifications: [LDAPModification]) async throws {
        try await modify(dn, modifications, controls: [])
    }
    public func delete(_ dn: String) async throws {
        try await delete(dn, controls: [])
    }

}

extension LDAPConnection: DirectoryConnection {
    public nonisolated var uri: String { configuration.uri }
}
