import AADKerbCore
import DRSClient
import Foundation
import LDAPClient

/// Where `set` and `rotate` read the keys the DC made: DRSUAPI secret replication from the same
/// DC, signed in with NTLM as the same account (docs/key-material.md).
enum KeyReaders {
    static let kerberosUnsupported = "publishing the key means reading it from the DC with the account's password (NTLM sign-in to DRSUAPI); --kerberos cannot do that yet: use --user with a password"

    /// `connected`: the DC the LDAP work goes to; the keys are read from that same DC.
    static func forDC(_ target: DomainTarget, connected: LDAPConnection, credentials: DomainCredentials) async throws -> any AccountKeyReader {
        guard case let .simple(user, password) = credentials else {
            throw CLIError.usage(kerberosUnsupported)
        }
        let (name, domain) = try ntlmName(user, domain: target.domain.value)
        let host = await connected.peerAddress() ?? host(of: target.configuration.uri)
        return DRSKeyReader(host: host, user: name, domain: domain, password: password,
                            timeout: target.configuration.operationTimeout)
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
    let user: String
    let domain: String
    let password: Secret
    let timeout: Duration

    func keys(accountDN: String) async throws -> AccountKeys {
        let replicated = try await DRSSecretReader.readKeys(host: host, user: user, domain: domain, password: password,
                                                            objectDN: accountDN, timeout: timeout)
        let aes256: Int32 = 18
        guard let current = replicated.current.first(where: { $0.encryptionType == aes256 }) else {
            throw CLIError(status: .failure, message: "\(accountDN): the DC holds no AES-256 key for the account (is AES256-CTS-HMAC-SHA1-96 allowed?)")
        }
        return AccountKeys(current: current.key, previous: replicated.previous.first(where: { $0.encryptionType == aes256 })?.key)
    }
}
