import Foundation

/// The tenants' key-encryption public keys aadkerb has sealed keys to, pinned on first use (like
/// ssh's known_hosts): one line per tenant API and tenant, `<api URL> <tenant> <key id>`, in
/// AADKERB_TENANT_KEYS, else $XDG_STATE_HOME/aadkerb/tenant-keys (~/.local/state/aadkerb/...).
/// A changed key is refused (a TLS-inspecting proxy could have answered with its own) unless
/// --accept-new-tenant-key; the first use is said on stderr.
struct TenantKeyPins {
    let path: String

    init(environment: [String: String]) {
        if let explicit = environment["AADKERB_TENANT_KEYS"], !explicit.isEmpty {
            path = explicit
        } else {
            let state = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
                ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/state"
            path = state + "/aadkerb/tenant-keys"
        }
    }

    func check(api: String, tenant: String, keyId: String, acceptNew: Bool) throws {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        var lines = text.split(separator: "\n").map(String.init)
        let index = lines.firstIndex { $0.split(separator: " ").prefix(2).map(String.init) == [api, tenant] }
        let pinned = index.map { String(lines[$0].split(separator: " ").last ?? "") }
        if pinned == keyId { return }
        if let pinned, !acceptNew {
            throw CLIError(status: .tenantFailure, message: """
                the tenant \(tenant) at \(api) now offers key-encryption key \(keyId), not \(pinned) pinned in \(path): \
                a TLS-inspecting proxy may be answering for it, so no key was sent. If the tenant's key really \
                changed, run again with --accept-new-tenant-key
                """)
        }
        let line = "\(api) \(tenant) \(keyId)"
        if let index { lines[index] = line } else { lines.append(line) }
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            let fd = open(path + ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw CocoaError(.fileWriteNoPermission) }
            let data = Array((lines.joined(separator: "\n") + "\n").utf8)
            let written = write(fd, data, data.count)
            close(fd)
            guard written == data.count, rename(path + ".tmp", path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            Terminal.writeErr("aadkerb: warning: cannot record the tenant key pin in \(path); it is not pinned")
            return
        }
        Terminal.writeErr(pinned == nil
            ? "aadkerb: pinned the key-encryption key \(keyId) of tenant \(tenant) at \(api) (\(path)); a different key will be refused"
            : "aadkerb: warning: accepted the new key-encryption key \(keyId) of tenant \(tenant) (was \(pinned!)); pinned in \(path)")
    }
}
