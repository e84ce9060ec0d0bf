import CSQLite
import Foundation
import TenantAPI

/// Durable storage in one SQLite file (WAL, synchronous=FULL): a write that returned has
/// survived a crash of the server. Conditional writes run in one IMMEDIATE transaction, so two
/// writers can never both pass the same If-Match.
actor Store {
    private nonisolated(unsafe) let db: OpaquePointer

    struct StoreError: Error, CustomStringConvertible {
        let description: String
    }

    enum WriteOutcome {
        case created(version: Int64)
        case updated(version: Int64)
        case preconditionFailed(current: Int64?)
        case alreadyExists(current: Int64)
    }

    init(path: String) throws {
        var handle: OpaquePointer?
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nil) == SQLITE_OK,
              let handle
        else { throw StoreError(description: "cannot open the database \(path)") }
        db = handle
        sqlite3_busy_timeout(db, 5000)
        try Self.exec(db, """
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=FULL;
            CREATE TABLE IF NOT EXISTS kerberos_domains (
                tenant TEXT NOT NULL, domain TEXT NOT NULL, body TEXT NOT NULL, version INTEGER NOT NULL,
                PRIMARY KEY (tenant, domain));
            CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS kerberos_keys (
                tenant TEXT NOT NULL, domain TEXT NOT NULL, kvno INTEGER NOT NULL, sealed BLOB NOT NULL,
                PRIMARY KEY (tenant, domain, kvno));
            """)
    }

    deinit { sqlite3_close_v2(db) }

    private static func exec(_ db: OpaquePointer, _ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(db, sql, nil, nil, &error) != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? "unknown"
            sqlite3_free(error)
            throw StoreError(description: "SQLite: \(message)")
        }
    }

    private func query(_ sql: String, _ bind: [Any], row: (OpaquePointer) -> Void) throws {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw StoreError(description: "SQLite: \(String(cString: sqlite3_errmsg(db)))")
        }
        defer { sqlite3_finalize(statement) }
        for (i, value) in bind.enumerated() {
            let index = Int32(i + 1)
            switch value {
            case let s as String: sqlite3_bind_text(statement, index, s, -1, csqlite_transient())
            case let n as Int64: sqlite3_bind_int64(statement, index, n)
            case let b as [UInt8]: sqlite3_bind_blob(statement, index, b, Int32(b.count), csqlite_transient())
            default: throw StoreError(description: "cannot bind \(type(of: value))")
            }
        }
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_ROW { row(statement); continue }
            if rc == SQLITE_DONE { return }
            throw StoreError(description: "SQLite: \(String(cString: sqlite3_errmsg(db)))")
        }
    }

    private static func text(_ s: OpaquePointer, _ column: Int32) -> String {
        String(cString: sqlite3_column_text(s, column))
    }

    /// The sealed keys held for a domain, newest first (for tests and audits; never served).
    func sealedKeys(tenant: String, domain: String) throws -> [(kvno: Int64, sealed: [UInt8])] {
        var out: [(Int64, [UInt8])] = []
        try query("SELECT kvno, sealed FROM kerberos_keys WHERE tenant = ? AND domain = ? ORDER BY rowid DESC", [tenant, domain]) { s in
            let n = Int(sqlite3_column_bytes(s, 1))
            out.append((sqlite3_column_int64(s, 0), Array(UnsafeRawBufferPointer(start: sqlite3_column_blob(s, 1), count: n))))
        }
        return out
    }

    func settingIfPresent(_ name: String) throws -> [UInt8]? {
        var value: [UInt8]?
        try query("SELECT value FROM settings WHERE name = ?", [name]) { s in
            let n = Int(sqlite3_column_bytes(s, 0))
            value = n > 0 ? Array(UnsafeRawBufferPointer(start: sqlite3_column_blob(s, 0), count: n)) : []
        }
        return value
    }

    func putSetting(_ name: String, _ value: [UInt8]) throws {
        try query("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value", [name, value]) { _ in }
    }

    func deleteSetting(_ name: String) throws {
        try query("DELETE FROM settings WHERE name = ?", [name]) { _ in }
    }

    func setting(_ name: String, orCreate make: () throws -> [UInt8]) throws -> [UInt8] {
        var value: [UInt8]?
        try query("SELECT value FROM settings WHERE name = ?", [name]) { s in
            let n = Int(sqlite3_column_bytes(s, 0))
            value = n > 0 ? Array(UnsafeRawBufferPointer(start: sqlite3_column_blob(s, 0), count: n)) : []
        }
        if let value { return value }
        let fresh = try make()
        try query("INSERT INTO settings (name, value) VALUES (?, ?)", [name, fresh]) { _ in }
        return fresh
    }

    func get(tenant: String, domain: String) throws -> (KerberosDomain, version: Int64)? {
        var result: (KerberosDomain, Int64)?
        var decodeError: Error?
        try query("SELECT body, version FROM kerberos_domains WHERE tenant = ? AND domain = ?", [tenant, domain]) { s in
            do {
                result = (try JSONDecoder().decode(KerberosDomain.self, from: Data(Self.text(s, 0).utf8)), sqlite3_column_int64(s, 1))
            } catch { decodeError = error }
        }
        if let decodeError { throw decodeError }
        return result
    }

    func list(tenant: String) throws -> [KerberosDomain] {
        var result: [KerberosDomain] = []
        try query("SELECT body FROM kerberos_domains WHERE tenant = ? ORDER BY domain", [tenant]) { s in
            if let d = try? JSONDecoder().decode(KerberosDomain.self, from: Data(Self.text(s, 0).utf8)) { result.append(d) }
        }
        return result
    }

    /// Creates or replaces, subject to If-Match (a version) or If-None-Match: * (`createOnly`).
    /// `key`: a Kerberos key sealed with the master key, stored in the same transaction as the object.
    func put(tenant: String, domain: String, value: KerberosDomain, precondition: TenantAPIServer.Precondition, createOnly: Bool,
             key: (kvno: Int64, sealed: [UInt8])? = nil) throws -> WriteOutcome {
        try Self.exec(db, "BEGIN IMMEDIATE")
        do {
            var current: (KerberosDomain, Int64)?
            current = try get(tenant: tenant, domain: domain)
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
                    try query("UPDATE kerberos_domains SET body = ?, version = ? WHERE tenant = ? AND domain = ?",
                              [try Self.encode(stored), version + 1, tenant, domain]) { _ in }
                    outcome = .updated(version: version + 1)
                }
            } else if precondition != .none {
                // If-Match (a version, or * = "it exists") on an object that does not exist
                outcome = .preconditionFailed(current: nil)
            } else {
                stored.createdOn = now
                try query("INSERT INTO kerberos_domains (tenant, domain, body, version) VALUES (?, ?, ?, 1)",
                          [tenant, domain, try Self.encode(stored)]) { _ in }
                outcome = .created(version: 1)
            }
            if let key {
                switch outcome {
                case .created, .updated:
                    try query("INSERT OR REPLACE INTO kerberos_keys (tenant, domain, kvno, sealed) VALUES (?, ?, ?, ?)",
                              [tenant, domain, key.kvno, key.sealed]) { _ in }
                    // keep only the current and the previous key
                    try query("""
                        DELETE FROM kerberos_keys WHERE tenant = ? AND domain = ? AND kvno NOT IN
                        (SELECT kvno FROM kerberos_keys WHERE tenant = ? AND domain = ? ORDER BY rowid DESC LIMIT 2)
                        """, [tenant, domain, tenant, domain]) { _ in }
                default: break
                }
            }
            try Self.exec(db, "COMMIT")
            return outcome
        } catch {
            try? Self.exec(db, "ROLLBACK")
            throw error
        }
    }

    enum DeleteOutcome { case deleted, notFound, preconditionFailed(current: Int64) }

    func delete(tenant: String, domain: String, precondition: TenantAPIServer.Precondition) throws -> DeleteOutcome {
        try Self.exec(db, "BEGIN IMMEDIATE")
        do {
            let outcome: DeleteOutcome
            if let (_, version) = try get(tenant: tenant, domain: domain) {
                if case let .version(expected) = precondition, expected != version {
                    outcome = .preconditionFailed(current: version)
                } else {
                    try query("DELETE FROM kerberos_domains WHERE tenant = ? AND domain = ?", [tenant, domain]) { _ in }
                    try query("DELETE FROM kerberos_keys WHERE tenant = ? AND domain = ?", [tenant, domain]) { _ in }
                    outcome = .deleted
                }
            } else {
                outcome = .notFound
            }
            try Self.exec(db, "COMMIT")
            return outcome
        } catch {
            try? Self.exec(db, "ROLLBACK")
            throw error
        }
    }

    private static func encode(_ value: KerberosDomain) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        return String(decoding: try e.encode(value), as: UTF8.self)
    }
}
