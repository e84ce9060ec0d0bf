import Foundation
import GRDB
import TenantAPI
import Basics

/// Durable storage in one SQLite file through GRDB: a DatabasePool (WAL) with synchronous=FULL,
/// so a write that returned has survived a crash of the server. Every write runs in one
/// IMMEDIATE transaction (GRDB's default for writes), so two writers can never both pass the same
/// If-Match. Statements take typed arguments; the schema is GRDB migrations, the first of which
/// is the schema the server's earlier raw-SQLite store made, so databases it wrote open as they are.
final class Store: Sendable {
    private let pool: DatabasePool

    struct StoreError: Error, CustomStringConvertible {
        let description: String
    }

    enum WriteOutcome: Sendable {
        case created(version: Int64)
        case updated(version: Int64)
        case preconditionFailed(current: Int64?)
        case alreadyExists(current: Int64)
    }

    init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous=FULL")
        }
        // SQLite gives the WAL and shared-memory files the database file's mode: 0600 from the start
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd >= 0 { close(fd) }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
        } catch {
            throw StoreError(description: "cannot open the database \(path): \(error)")
        }
    }

    /// The schema, one migration a change. Add a migration for a change; never edit one that shipped.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        // The raw-SQLite store's schema, word for word and IF NOT EXISTS: a database it wrote has
        // these tables (and no grdb_migrations table yet), so this migration keeps them as they are.
        migrator.registerMigration("v1: kerberos_domains, settings, kerberos_keys") { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS kerberos_domains (
                    tenant TEXT NOT NULL, domain TEXT NOT NULL, body TEXT NOT NULL, version INTEGER NOT NULL,
                    PRIMARY KEY (tenant, domain));
                CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value BLOB NOT NULL);
                CREATE TABLE IF NOT EXISTS kerberos_keys (
                    tenant TEXT NOT NULL, domain TEXT NOT NULL, kvno INTEGER NOT NULL, sealed BLOB NOT NULL,
                    PRIMARY KEY (tenant, domain, kvno));
                """)
        }
        return migrator
    }

    /// The sealed keys held for a domain, newest first (for tests and audits; never served).
    func sealedKeys(tenant: String, domain: String) async throws -> [(kvno: Int64, sealed: [UInt8])] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT kvno, sealed FROM kerberos_keys WHERE tenant = ? AND domain = ? ORDER BY rowid DESC",
                             arguments: [tenant, domain])
                .map { (kvno: $0["kvno"] as Int64, sealed: Array($0["sealed"] as Data)) }
        }
    }

    private static func setting(_ db: Database, _ name: String) throws -> [UInt8]? {
        try Data.fetchOne(db, sql: "SELECT value FROM settings WHERE name = ?", arguments: [name]).map { Array($0) }
    }

    func settingIfPresent(_ name: String) async throws -> [UInt8]? {
        try await pool.read { db in try Self.setting(db, name) }
    }

    func putSetting(_ name: String, _ value: [UInt8]) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                           arguments: [name, Data(value)])
        }
    }

    func deleteSetting(_ name: String) async throws {
        try await pool.write { db in try db.execute(sql: "DELETE FROM settings WHERE name = ?", arguments: [name]) }
    }

    /// The setting, or `make()`'s value stored under that name first (in one transaction).
    func setting(_ name: String, orCreate make: @escaping @Sendable () throws -> [UInt8]) async throws -> [UInt8] {
        try await pool.write { db in
            if let value = try Self.setting(db, name) { return value }
            let fresh = try make()
            try db.execute(sql: "INSERT INTO settings (name, value) VALUES (?, ?)", arguments: [name, Data(fresh)])
            return fresh
        }
    }

    private static func domain(_ db: Database, tenant: String, domain: String) throws -> (KerberosDomain, version: Int64)? {
        guard let row = try Row.fetchOne(db, sql: "SELECT body, version FROM kerberos_domains WHERE tenant = ? AND domain = ?",
                                         arguments: [tenant, domain])
        else { return nil }
        return (try JSONDecoder().decode(KerberosDomain.self, from: Data((row["body"] as String).utf8)), row["version"] as Int64)
    }

    func get(tenant: String, domain: String) async throws -> (KerberosDomain, version: Int64)? {
        try await pool.read { db in try Self.domain(db, tenant: tenant, domain: domain) }
    }

    func list(tenant: String) async throws -> [KerberosDomain] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT body FROM kerberos_domains WHERE tenant = ? ORDER BY domain", arguments: [tenant])
                .compactMap { try? JSONDecoder().decode(KerberosDomain.self, from: Data($0.utf8)) }
        }
    }

    /// Creates or replaces, subject to If-Match (a version) or If-None-Match: * (`createOnly`).
    /// `key`: a Kerberos key sealed with the master key, stored in the same transaction as the object.
    func put(tenant: String, domain: String, value: KerberosDomain, precondition: TenantAPIServer.Precondition, createOnly: Bool,
             key: (kvno: Int64, sealed: [UInt8])? = nil) async throws -> WriteOutcome {
        try await pool.write { db in
            let current = try Self.domain(db, tenant: tenant, domain: domain)
            let now = ISO8601.string(Date())
            var stored = value
            stored.domainDnsName = domain
            stored.updatedOn = now
            let outcome: WriteOutcome
            if let (old, version) = current {
                if createOnly {
                    outcome = .alreadyExists(current: version)
                } else if case let .version(expected) = precondition, expected != version {
                    outcome = .preconditionFailed(current: version)
                } else {
                    stored.createdOn = old.createdOn
                    try db.execute(sql: "UPDATE kerberos_domains SET body = ?, version = ? WHERE tenant = ? AND domain = ?",
                                   arguments: [try Self.encode(stored), version + 1, tenant, domain])
                    outcome = .updated(version: version + 1)
                }
            } else if precondition != .none {
                // If-Match (a version, or * = "it exists") on an object that does not exist
                outcome = .preconditionFailed(current: nil)
            } else {
                stored.createdOn = now
                try db.execute(sql: "INSERT INTO kerberos_domains (tenant, domain, body, version) VALUES (?, ?, ?, 1)",
                               arguments: [tenant, domain, try Self.encode(stored)])
                outcome = .created(version: 1)
            }
            if let key {
                switch outcome {
                case .created, .updated:
                    try db.execute(sql: "INSERT OR REPLACE INTO kerberos_keys (tenant, domain, kvno, sealed) VALUES (?, ?, ?, ?)",
                                   arguments: [tenant, domain, key.kvno, Data(key.sealed)])
                    // keep only the current and the previous key
                    try db.execute(sql: """
                        DELETE FROM kerberos_keys WHERE tenant = ? AND domain = ? AND kvno NOT IN
                        (SELECT kvno FROM kerberos_keys WHERE tenant = ? AND domain = ? ORDER BY rowid DESC LIMIT 2)
                        """, arguments: [tenant, domain, tenant, domain])
                default: break
                }
            }
            return outcome
        }
    }

    enum DeleteOutcome: Sendable { case deleted, notFound, preconditionFailed(current: Int64) }

    func delete(tenant: String, domain: String, precondition: TenantAPIServer.Precondition) async throws -> DeleteOutcome {
        try await pool.write { db in
            guard let (_, version) = try Self.domain(db, tenant: tenant, domain: domain) else { return .notFound }
            if case let .version(expected) = precondition, expected != version {
                return .preconditionFailed(current: version)
            }
            try db.execute(sql: "DELETE FROM kerberos_domains WHERE tenant = ? AND domain = ?", arguments: [tenant, domain])
            try db.execute(sql: "DELETE FROM kerberos_keys WHERE tenant = ? AND domain = ?", arguments: [tenant, domain])
            return .deleted
        }
    }

    private static func encode(_ value: KerberosDomain) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        return String(decoding: try e.encode(value), as: UTF8.self)
    }
}
