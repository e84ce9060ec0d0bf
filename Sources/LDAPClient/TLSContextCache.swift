import CLDAP
import Foundation

/// One libldap TLS context per trust setting, shared by every connection of the process.
///
/// libldap's `LDAP_OPT_X_TLS_NEWCTX` builds a context for one handle: with GnuTLS that parses the
/// CA file, or the whole system trust store, again for every connection. A multi-domain run
/// (`get --domain` x16, `--forest`) or a rotate that reads from every DC paid that once per
/// connection: the largest share of aadkerb's CPU after the handshakes themselves
/// (docs/performance.md). The context holds only the trust anchors and the settings below, all
/// the same for every connection with the same CA file; the host name check is per connection
/// and stays on each handle (`ldap_pvt_tls_check_hostname` reads the handle's own options).
///
/// The first connection for a trust setting builds the context on its own handle (so a bad CA
/// file fails there, with libldap's message, exactly as before); the cache then keeps a
/// reference (`LDAP_OPT_X_TLS_CTX` returns one) for the life of the process, and later handles
/// take that context (`ldap_set_option(LDAP_OPT_X_TLS_CTX)` adds their own reference).
/// A context that failed to build is not cached: the next connection tries again.
final class TLSContextCache: @unchecked Sendable {
    struct Key: Hashable {
        /// nil: the system's trust store.
        let caFile: String?
        let requireCertificate: Int32
        let minimumVersion: Int32
    }

    static let shared = TLSContextCache()

    private let lock = NSLock()
    private var contexts: [Key: UnsafeMutableRawPointer] = [:]
    /// How many contexts were built per CA file (tests: a second connection must not build one).
    private var builds: [String?: Int] = [:]

    /// Gives `handle` the context for `key` through `use` (which sets `LDAP_OPT_X_TLS_CTX` and
    /// throws as any other option that cannot be set), or builds it on this handle the first time:
    /// `build` sets the handle's TLS options and `LDAP_OPT_X_TLS_NEWCTX`, throwing on failure.
    /// Held under the lock while building, so sixteen domains that start at once load the CA
    /// file once, not sixteen times.
    func attach(to handle: OpaquePointer, key: Key, use: (UnsafeMutableRawPointer) throws -> Void,
                build: () throws -> Void) throws {
        lock.lock()
        defer { lock.unlock() }
        if let context = contexts[key] { return try use(context) }
        try build()
        builds[key.caFile, default: 0] += 1
        var context: UnsafeMutableRawPointer?
        if ldap_get_option(handle, LDAP_OPT_X_TLS_CTX, &context) == LDAP_OPT_SUCCESS, let context {
            contexts[key] = context
        }
    }

    /// How many contexts were built for connections that trust `caFile` (nil: the system's).
    func buildCount(caFile: String?) -> Int { lock.withLock { builds[caFile] ?? 0 } }
}
