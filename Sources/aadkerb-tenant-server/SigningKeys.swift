import Basics
import Foundation
import OpenSSLSupport

/// The token signing keys: sealed under the master key (KeyVault) in the store, never in clear,
/// so a copy of the database alone cannot forge tokens. At start the newest key signs; when it is
/// older than `rotation` (or `rotateNow`), a new one is made and the old ones keep verifying until
/// the tokens they signed have expired (retired + token lifetime), then they are dropped.
/// A database from before (a plaintext "token-signing-key") is sealed as kid "legacy" and the
/// plaintext deleted.
enum SigningKeys {
    struct Entry: Codable {
        var kid: String
        var created: Date
        var retired: Date?
        var key: Data
    }

    static let label = "token-signing-keys"

    static func load(store: Store, vault: KeyVault, rotation: TimeInterval, tokenLifetime: TimeInterval, rotateNow: Bool,
                     now: Date = Date()) async throws -> (keys: [String: [UInt8]], current: String) {
        var entries: [Entry] = []
        if let sealed = try await store.settingIfPresent(label) {
            var plain = try vault.open(sealed, label: label)
            defer { wipe(&plain) }
            entries = try JSONDecoder().decode([Entry].self, from: Data(plain))
        }
        if let legacy = try await store.settingIfPresent("token-signing-key") {
            entries.insert(Entry(kid: "legacy", created: now, retired: nil, key: Data(legacy)), at: 0)
        }
        if entries.isEmpty || rotateNow || now.timeIntervalSince(entries.last!.created) > rotation {
            if let last = entries.indices.last { entries[last].retired = now }
            entries.append(Entry(kid: Base64URL.encode(AESGCM.randomBytes(6)), created: now, retired: nil, key: Data(AESGCM.randomBytes(32))))
        }
        // a retired key verifies until every token it signed has expired (plus the 60 s skew)
        entries.removeAll { $0.retired.map { now.timeIntervalSince($0) > tokenLifetime + 60 } ?? false }
        var plain = Array(try JSONEncoder().encode(entries))
        defer { wipe(&plain) }
        try await store.putSetting(label, try vault.seal(plain, label: label))
        try await store.deleteSetting("token-signing-key")
        return (Dictionary(uniqueKeysWithValues: entries.map { ($0.kid, Array($0.key)) }), entries.last!.kid)
    }
}
