import Foundation
import GRDB
import TenantAPI
import Testing
@testable import aadkerb_tenant_server

/// The store over GRDB: databases the raw-SQLite store wrote open as they are, and the files are
/// the server's alone whatever the umask.
@Suite struct StoreTests {
    func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("aadkerb-store-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return dir
    }

    /// A database as the store before GRDB left it: its DDL word for word, written through plain
    /// SQL (no migrations table), with one domain, its key and a setting.
    func writeEarlierDatabase(_ path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: """
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
            try db.execute(sql: "INSERT INTO kerberos_domains VALUES ('contoso', 'a.test', ?, 3)", arguments: [
                #"{"createdOn":"2026-01-01T00:00:00Z","displayName":"krbtgt_7080","domainDnsName":"a.test","id":7080,"keyVersion":4080,"updatedOn":"2026-01-02T00:00:00Z"}"#])
            try db.execute(sql: "INSERT INTO kerberos_keys VALUES ('contoso', 'a.test', 2, ?)", arguments: [Data([1, 2, 3])])
            try db.execute(sql: "INSERT INTO settings VALUES ('token-signing-keys', ?)", arguments: [Data([9, 9])])
        }
    }

    @Test func aDatabaseTheEarlierStoreWroteOpensWithItsData() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/tenant.sqlite"
        try writeEarlierDatabase(path)

        let store = try Store(path: path)
        let (domain, version) = try #require(try await store.get(tenant: "contoso", domain: "a.test"))
        #expect(version == 3 && domain.id == 7080 && domain.createdOn == "2026-01-01T00:00:00Z")
        #expect(try await store.list(tenant: "contoso").map(\.domainDnsName) == ["a.test"])
        #expect(try await store.sealedKeys(tenant: "contoso", domain: "a.test").map(\.sealed) == [[1, 2, 3]])
        #expect(try await store.settingIfPresent("token-signing-keys") == [9, 9])
        // the If-Match of the version it had, and the migration is recorded
        guard case .updated(version: 4) = try await store.put(tenant: "contoso", domain: "a.test", value: domain,
                                                               precondition: .version(3), createOnly: false) else {
            Issue.record("an update under the stored version must succeed")
            return
        }
        guard case .preconditionFailed(current: 4) = try await store.put(tenant: "contoso", domain: "a.test", value: domain,
                                                                         precondition: .version(3), createOnly: false) else {
            Issue.record("an update under a stale version must fail")
            return
        }
        let applied = try await DatabaseQueue(path: path).read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(applied == ["v1: kerberos_domains, settings, kerberos_keys"])
        // and opening again applies nothing new and keeps the data
        #expect(try await Store(path: path).get(tenant: "contoso", domain: "a.test")?.version == 4)
    }

    @Test func theDatabaseAndItsWALAreTheServersAloneWhateverTheUmask() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let old = umask(0o022)
        defer { umask(old) }
        let store = try Store(path: dir + "/tenant.sqlite")
        try await store.putSetting("x", [1])
        for file in ["tenant.sqlite", "tenant.sqlite-wal", "tenant.sqlite-shm"] {
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: dir + "/" + file)[.posixPermissions] as? Int)
            #expect(mode == 0o600, "\(file)")
        }
    }

    @Test func keysAreKeptForTheCurrentAndThePreviousKvnoOnly() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try Store(path: dir + "/tenant.sqlite")
        let domain = try TenantAPIServer.decodeDomain(Data(#"{"id": 7080, "displayName": "krbtgt_7080", "keyVersion": 4080}"#.utf8), domain: "a.test")
        _ = try await store.put(tenant: "t", domain: "a.test", value: domain, precondition: .none, createOnly: true, key: (1, [1]))
        for kvno in Int64(2)...4 {
            _ = try await store.put(tenant: "t", domain: "a.test", value: domain, precondition: .exists, createOnly: false, key: (kvno, [UInt8(kvno)]))
        }
        #expect(try await store.sealedKeys(tenant: "t", domain: "a.test").map(\.kvno) == [4, 3])
        guard case .deleted = try await store.delete(tenant: "t", domain: "a.test", precondition: .none) else {
            Issue.record("delete")
            return
        }
        #expect(try await store.sealedKeys(tenant: "t", domain: "a.test").isEmpty)
    }
}
