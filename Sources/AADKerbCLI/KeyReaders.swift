import AADKerbCore
import DRSClient
import Foundation
import LDAPClient

/// Where `set` and `rotate` read the keys the DC made: DRSUAPI secret replication from the same
/// DC, signed in as the same account: with a password, Kerberos first (tickets from that DC's
/// KDC into a MEMORY cache) and NTLM with MIC only when no KDC answers; with --kerberos, Kerberos
/// from the credential cache (docs/key-material.md, docs/security.md).
enum KeyReaders {
    /// `connected`: the DC the LDAP work goes to; the keys are read from that same DC.
    static func forDC(_ target: DomainTarget, connected: LDAPConnection, credentials: DomainCredentials) async throws -> any AccountKeyReader {
        let address = await connected.peerAddress() ?? host(of: target.configuration.uri)
        switch credentials {
        case let .simple(user, password):
            let (name, domain) = try ntlmName(user, domain: target.domain.value)
            // The KDC is the DC at `address` itself (no DNS); its ticket names host/<dnsHostName>,
            // which NTLM's MsvAvTargetName names too if it comes to that.
            return DRSKeyReader(host: address,
                                signIn: .password(user: name, domain: domain, password: password, realm: target.domain.value.uppercased(),
                                                  dcHostName: await dnsHostName(connected, target)),
                                timeout: target.configuration.operationTimeout)
        case .gssapi:
            return DRSKeyReader(host: address, signIn: .kerberos(dcHostName: await dnsHostName(connected, target)),
                                timeout: target.configuration.operationTimeout)
        }
    }

    /// The DC's DNS name from its root DSE: Kerberos names the DC by it (host/<dnsHostName>),
    /// whatever --server said; the URI's host if the root DSE does not say.
    static func dnsHostName(_ connected: LDAPConnection, _ target: DomainTarget) async -> String {
        (try? await connected.rootDSE(attributes: ["dnsHostName"]).strings("dnsHostName").first) ?? host(of: target.configuration.uri)
    }

    /// The host of an LDAP URI: `ldaps://dc1.contoso.com:636` -> `dc1.contoso.com`.
    static func host(of uri: String) -> String {
        var rest = Substring(uri)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        rest = rest.prefix { $0 != "/" }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") { return String(rest[rest.index(after: rest.startIndex)..<close]) }
        return String(rest.prefix { $0 != ":" })
    }

    /// NTLM wants a name and a domain: `DOMAIN\name`, `name@domain`, or a bare name in --domain.
    static func ntlmName(_ user: String, domain: String) throws -> (String, String) {
        if let slash = user.firstIndex(of: "\\") {
            return (String(user[user.index(after: slash)...]), String(user[..<slash]))
        }
        if let at = user.lastIndex(of: "@") { return (String(user[..<at]), String(user[user.index(after: at)...])) }
        if user.contains("=") {
            throw CLIError.usage("reading the DC's key signs in with NTLM, which cannot use a DN: give --user as name, name@domain or DOMAIN\\name")
        }
        return (user, domain)
    }
}

/// One DRSUAPI session per reader: a second read (rotate reads before its lease and to publish)
/// reuses the first's sign-in and, when still open, its connection (DRSKeySession).
struct DRSKeyReader: AccountKeyReader {
    let session: DRSKeySession

    init(host: String, signIn: DRSSignIn, timeout: Duration) {
        session = DRSKeySession(host: host, signIn: signIn, timeout: timeout)
    }

    func keys(accountDN: String) async throws -> AccountKeys {
        let replicated = try await session.readKeys(objectDN: accountDN)
        let aes256: Int32 = 18
        guard let current = replicated.current.first(where: { $0.encryptionType == aes256 }) else {
            throw CLIError(status: .failure, message: "\(accountDN): the DC holds no AES-256 key for the account (is AES256-CTS-HMAC-SHA1-96 allowed?)")
        }
        return AccountKeys(current: current.key, previous: replicated.previous.first(where: { $0.encryptionType == aes256 })?.key)
    }
}
