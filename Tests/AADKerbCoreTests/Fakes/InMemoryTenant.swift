import Foundation
@testable import AADKerbCore
import Basics
import TenantAPI

/// The tenant's KerberosDomain objects in memory, with the reference server's semantics:
/// ETags that change on every write, If-Match / If-None-Match (a lost race is `StoreConflict`),
/// and a new key that becomes current while the current one becomes previous.
actor InMemoryTenant: KerberosDomainStore {
    private(set) var domains: [String: (KerberosDomain, etag: String)] = [:]
    /// The keys the tenant holds, by kvno (what it would mint partial TGTs with).
    private(set) var sealed: [String: [Int64: Secret]] = [:]
    private var generation = 0
    private(set) var writes = 0
    /// Faults for the next writes, in order: nil lets a write through.
    private var writeFaults: [(any Error)?] = []
    /// Called before the write with that number (1-based, counting attempts) is handled: to make
    /// another run win a race, for instance.
    private var hooks: [Int: @Sendable (InMemoryTenant) async throws -> Void] = [:]
    private var attempts = 0

    func read(domain: String) async throws -> (KerberosDomain, etag: String)? {
        domains[domain.lowercased()]
    }

    @discardableResult
    func write(_ value: KerberosDomain, ifMatch: String?, newKey: (key: Secret, kvno: Int64)?) async throws -> String {
        attempts += 1
        if let hook = hooks.removeValue(forKey: attempts) { try await hook(self) }
        if !writeFaults.isEmpty, let fault = writeFaults.removeFirst() { throw fault }
        let name = value.domainDnsName.lowercased()
        let existing = domains[name]
        if let ifMatch, existing?.etag != ifMatch { throw StoreConflict("412: the object changed") }
        if ifMatch == nil, existing != nil { throw StoreConflict("412: the object exists") }
        var stored = value
        stored.currentKey = existing?.0.currentKey
        stored.previousKey = existing?.0.previousKey
        if let (key, kvno) = newKey {
            let slot = KeySlot(kvno: kvno, keyVersion: value.keyVersion, checkValue: KeyEnvelope.checkValue(key))
            if let current = stored.currentKey, current.kvno != kvno { stored.previousKey = current }
            stored.currentKey = slot
            sealed[name, default: [:]][kvno] = key
        }
        generation += 1
        writes += 1
        let etag = "W/\"\(generation)\""
        domains[name] = (stored, etag)
        return etag
    }

    func remove(domain: String) async throws -> Bool {
        domains.removeValue(forKey: domain.lowercased()) != nil
    }

    // MARK: - test controls

    func failNextWrites(_ faults: [(any Error)?]) { writeFaults = faults }
    /// `hook` runs before the `n`th write from now (1: the next) is handled.
    func beforeWrite(_ n: Int = 1, _ hook: @escaping @Sendable (InMemoryTenant) async throws -> Void) { hooks[attempts + n] = hook }
    /// Changes the stored object outside the store's API (another run, an admin).
    func mutate(_ domain: String, _ change: (inout KerberosDomain) -> Void) {
        guard var (value, _) = domains[domain.lowercased()] else { return }
        change(&value)
        generation += 1
        domains[domain.lowercased()] = (value, "W/\"\(generation)\"")
    }
    func current(_ domain: String) -> KerberosDomain? { domains[domain.lowercased()]?.0 }
    /// Publishes `key` as another writer would (`set` finishing the same rotation).
    func publishAsAnotherWriter(_ domain: String, key: Secret, kvno: Int64) async throws {
        guard let (value, etag) = domains[domain.lowercased()] else { return }
        var v = value
        v.rotation = nil
        try await write(v, ifMatch: etag, newKey: (key, kvno))
    }
}
