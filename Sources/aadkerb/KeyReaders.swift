import AADKerbCore
import DRSClient
import Foundation
import LDAPClient

/// Where `set` and `rotate` read the keys the DC made: DRSUAPI secret replication from the same
/// DC, signed in as the same account: with NTLM and the password, or with Kerberos from the
/// credential cache for --kerberos (docs/key-material.md).
enum KeyReaders {
    /// `connected`: the DC the LDAP work goes to; the keys are read from that same DC.
    static func forDC(_ target: DomainTarget, connected: LDAPConnection, credentials: DomainCredentials) async throws -> any AccountKeyReader {
        let address = await connected.peerAddress() ?? host(of: target.configuration.uri)
        switch credentials {
        case let .simple(user, password):
            let (name, domain) = try ntlmName(user, domain: target.domain.value)
            return DRSKeyReader(host: address, signIn: .ntlm(user: name, domain: domain, password: password),
                                timeout: target.configuration.operationTimeout)
        case .gssapi:
            // Kerberos names the DC by its DNS name (host@<dnsHostName>), whatever --server said.
            let dnsHostName = (try? await connected.rootDSE(attributes: ["dnsHostName"]).strings("dnsHostName").first)
                ?? host(of: target.configuration.uri)
            return DRSKeyReader(host: address, signIn: .kerberos(dcHostName: dnsHostName),
                                timeout: target.configuration.operationTimeout)
        }
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

struct DRSKeyReader: AccountKeyReader {
    let host: String
    let signIn: DRSSignIn
    let timeout: Duration

    func keys(accountDN: String) async throws -> AccountKeys {
        let replicated = try await DRSSecretReader.readKeys(host: host, signIn: signIn, objectDN: accountDN, timeout: timeout)
        let aes256: Int32 = 18
        guard let current = replicated.current.first(where: { $0.encryptionType == aes256 }) else {
            throw CLIError(status: .failure, message: "\(accountDN): the DC holds no AES-256 key for the account (is AES256-CTS-HMAC-SHA1-96 allowed?)")
        }
        return AccountKeys(current: current.key, previous: replicated.previous.first(where: { $0.encryptionType == aes256 })?.key)
    }
}
