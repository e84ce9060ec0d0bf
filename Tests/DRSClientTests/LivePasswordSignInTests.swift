import Foundation
import Basics
import Testing
@testable import DRSClient

/// The Kerberos client a password sign-in asks a TGT for, from the user and domain NTLM would use.
@Suite struct PasswordSignInNameTests {
    @Test func kerberosClientNames() {
        #expect(Session.kerberosClient(user: "Administrator", domain: "CONTOSO", realm: "contoso.com") == ("Administrator", false, "Administrator@CONTOSO.COM"))
        #expect(Session.kerberosClient(user: "admin", domain: "Contoso.com", realm: "CONTOSO.COM") == ("admin", false, "admin@CONTOSO.COM"))
        #expect(Session.kerberosClient(user: "alice", domain: "contoso.example", realm: "CONTOSO.COM") == ("alice@contoso.example", true, "alice@contoso.example"))
        #expect(Session.kerberosClient(user: "alice@x.test", domain: "", realm: "CONTOSO.COM") == ("alice@x.test", true, "alice@x.test"))
    }
}

/// A password sign-in (DRSSignIn.password) against the real Samba DC of LiveDCTests: Kerberos
/// first, with tickets from the DC's own KDC in a MEMORY cache; NTLM with MIC only when no KDC
/// answers. Part of LiveKerberosTests' serialized suite: that suite sets KRB5_CONFIG and
/// KRB5CCNAME for its own tests, and these must not run beside it (they need neither).
extension LiveKerberosTests {
    static func passwordSignIn(_ c: LiveDC.Config, host: String, user: String = "Administrator", domain: String? = nil,
                               password: Secret? = nil, kdc: KDCAddress? = nil) throws -> DRSSignIn {
        .password(user: user, domain: domain ?? c.netbiosDomain, password: try password ?? c.adminPassword,
                  realm: c.dnsDomain.uppercased(), dcHostName: host, kdc: kdc)
    }

    /// Where nobody listens: 127.0.0.99:88 (the same dead address anUnreachableKDCIsAConnectionFailure uses).
    static let deadKDC = KDCAddress(host: "127.0.0.99", port: 88)

    @Test func aPasswordSignsInWithKerberosAndTheKeysEqualSambas() async throws {
        let c = try LiveDC.config()
        let host = try await Self.dcHostName()
        let dn = "CN=krbtgt,CN=Users,\(c.baseDN)"
        let keys = try await DRSSecretReader.readKeys(host: c.ip, signIn: try Self.passwordSignIn(c, host: host), objectDN: dn, timeout: .seconds(20))
        #expect(keys.signedInWith == .kerberos)
        let oracle = try await LiveDC.oracle("krbtgt")
        #expect(!oracle.keys.isEmpty)
        #expect(keys.salt == oracle.salt)
        #expect(keys.current.hex(ofType: 18) == oracle.keys)
        #expect(keys.previous.hex(ofType: 18) == oracle.old_keys)
    }

    /// The user as a UPN (an enterprise name, canonicalized by the KDC) and as name + DNS domain.
    @Test(arguments: [("Administrator@%d", ""), ("Administrator", "%d")])
    func otherNameFormsSignInWithKerberosToo(_ form: (user: String, domain: String)) async throws {
        let c = try LiveDC.config()
        let host = try await Self.dcHostName()
        let signIn = try Self.passwordSignIn(c, host: host, user: form.user.replacingOccurrences(of: "%d", with: c.dnsDomain),
                                             domain: form.domain.replacingOccurrences(of: "%d", with: c.dnsDomain))
        let keys = try await DRSSecretReader.readKeys(host: c.ip, signIn: signIn, objectDN: "CN=krbtgt,CN=Users,\(c.baseDN)", timeout: .seconds(20))
        #expect(keys.signedInWith == .kerberos)
        #expect(keys.current.hex(ofType: 18) == (try await LiveDC.oracle("krbtgt")).keys)
    }

    /// The Kerberos sign-in really is Kerberos: the RPC connection's security is GSS-API's with
    /// the AES-256 session key of the service ticket, from the MEMORY cache PasswordKerberos
    /// filled, whose client and server are the user and host/<dc>.
    @Test func theTicketsComeFromTheDCsKDCIntoAMemoryCache() async throws {
        let c = try LiveDC.config()
        let host = try await Self.dcHostName()
        let password = try c.adminPassword
        let (cache, service, authType, keyLength) = try await Task.detached {
            let tickets = try PasswordKerberos(name: "Administrator", realm: c.dnsDomain.uppercased(), enterprise: false,
                                               service: "host/\(host)@\(c.dnsDomain.uppercased())", password: password) {
                try PasswordKerberos.tcpExchange(host: c.ip, port: 88, request: $0, deadline: .now + .seconds(10), cancellation: CancellationSwitch())
            }
            let s = Session(host: c.ip, port: nil, deadline: .now + .seconds(20), cancellation: CancellationSwitch())
            let rpc = RPCConnection(transport: try TCPConnection(host: c.ip, port: try s.endpoint(), deadline: .now + .seconds(20), cancellation: CancellationSwitch()))
            defer { rpc.close() }
            try rpc.bind(interface: DRSUAPI.interface, auth: try KerberosClient(target: tickets.servicePrincipal, ccache: tickets.ccacheName))
            let security = try #require(rpc.security)
            let reply = try DRSUAPI.parseBindReply(try rpc.call(opnum: DRSUAPI.Opnum.bind, stub: DRSUAPI.bindRequest(epoch: 0)))
            #expect(reply.status == 0)
            return (tickets.ccacheName, tickets.servicePrincipal, security.authType, security.sessionKey.count)
        }.value
        #expect(cache.hasPrefix("MEMORY:"))
        #expect(service.lowercased() == "host/\(host)@\(c.dnsDomain)".lowercased())
        #expect(authType == RPCConnection.authTypeKerberos)
        #expect(keyLength == 32)
    }

    /// No KDC at the address given: NTLM (with MIC and target name), and the keys are still Samba's.
    @Test func anUnreachableKDCFallsBackToNTLMWithMIC() async throws {
        let c = try LiveDC.config()
        let host = try await Self.dcHostName()
        let keys = try await DRSSecretReader.readKeys(host: c.ip, signIn: try Self.passwordSignIn(c, host: host, kdc: Self.deadKDC),
                                                      objectDN: "CN=krbtgt,CN=Users,\(c.baseDN)", timeout: .seconds(20))
        #expect(keys.signedInWith == .ntlm)
        #expect(keys.current.hex(ofType: 18) == (try await LiveDC.oracle("krbtgt")).keys)
    }

    /// A KDC that takes the connection and never answers: after kdcTimeout, NTLM.
    @Test func aKDCThatNeverAnswersFallsBackToNTLM() async throws {
        let c = try LiveDC.config()
        let host = try await Self.dcHostName()
        let listener = try SilentListener()  // TransportTests': connections complete (the backlog) and never get a byte
        let signIn = try Self.passwordSignIn(c, host: host, kdc: KDCAddress(host: "127.0.0.1", port: listener.port))
        let dn = "CN=krbtgt,CN=Users,\(c.baseDN)"
        let started = ContinuousClock.now
        let keys = try await Task.detached {
            var s = Session(host: c.ip, port: nil, deadline: .now + .seconds(20), cancellation: CancellationSwitch())
            s.kdcTimeout = .seconds(1)
            return try s.readKeys(signIn: signIn, objectDN: dn)
        }.value
        #expect(keys.signedInWith == .ntlm)
        #expect(ContinuousClock.now - started >= .seconds(1))
        #expect(keys.current.hex(ofType: 18) == (try await LiveDC.oracle("krbtgt")).keys)
    }

    /// A wrong password is refused by the KDC: an authentication failure, no NTLM attempt.
    @Test func aWrongPasswordIsAKerberosAuthenticationFailureNotAFallback() async throws {
        let c = try LiveDC.config()
        let host = try await Self.dcHostName()
        let e = try await #require(throws: DRSError.self) {
            _ = try await DRSSecretReader.readKeys(host: c.ip, signIn: try Self.passwordSignIn(c, host: host, password: Secret(LiveDC.randomPassword())),
                                                   objectDN: "CN=krbtgt,CN=Users,\(c.baseDN)", timeout: .seconds(20))
        }
        #expect(e.step == .authentication, "\(e)")
        #expect(e.statusName == "KRB5")
        #expect(e.detail.contains("wrong password"), "\(e)")
        #expect(e.detail.contains("Administrator@\(c.dnsDomain.uppercased())"))
    }

    /// The same over the NTLM fallback: the DC rejects the logon.
    @Test func aWrongPasswordOverTheNTLMFallbackFailsToo() async throws {
        let c = try LiveDC.config()
        let host = try await Self.dcHostName()
        let e = try await #require(throws: DRSError.self) {
            _ = try await DRSSecretReader.readKeys(host: c.ip, signIn: try Self.passwordSignIn(c, host: host, password: Secret(LiveDC.randomPassword()), kdc: Self.deadKDC),
                                                   objectDN: "CN=krbtgt,CN=Users,\(c.baseDN)", timeout: .seconds(20))
        }
        #expect(e.step == .authentication, "\(e)")
        #expect(e.detail.contains("NTLM"))
    }

    /// Samba checks the MIC: the same AUTHENTICATE message with one MIC bit flipped is refused
    /// (so the accepted ones above carry a right MIC, over the right three messages).
    @Test(arguments: [false, true])
    func sambaRefusesATamperedMIC(_ tamper: Bool) async throws {
        let c = try LiveDC.config()
        let host = try await Self.dcHostName()
        let password = try c.adminPassword
        let refused = try await Task.detached { () -> Bool in
            let s = Session(host: c.ip, port: nil, deadline: .now + .seconds(20), cancellation: CancellationSwitch())
            let rpc = RPCConnection(transport: try TCPConnection(host: c.ip, port: try s.endpoint(), deadline: .now + .seconds(20), cancellation: CancellationSwitch()))
            defer { rpc.close() }
            let client = NTLMClient(user: "Administrator", domain: c.netbiosDomain, password: password, targetName: "host/\(host)")
            try rpc.bind(interface: DRSUAPI.interface, auth: MICTamperer(client: client, tamper: tamper))
            do {
                let reply = try DRSUAPI.parseBindReply(try rpc.call(opnum: DRSUAPI.Opnum.bind, stub: DRSUAPI.bindRequest(epoch: 0)))
                return reply.status != 0
            } catch {
                return true
            }
        }.value
        #expect(refused == tamper)
    }
}

/// NTLMClient, with one bit of the AUTHENTICATE message's MIC flipped when `tamper`.
struct MICTamperer: RPCAuthenticator {
    var client: NTLMClient
    var tamper: Bool
    var authType: UInt8 { client.authType }
    var offersHeaderSigning: Bool { client.offersHeaderSigning }
    func initialToken() throws -> [UInt8] { client.initialToken() }
    func finish(serverToken: [UInt8], headerSigning: Bool) throws -> (auth3: [UInt8], security: any RPCSecurity) {
        var (message, security) = try client.finish(serverToken: serverToken, headerSigning: headerSigning)
        if tamper { message[NTLM.micOffset] ^= 0x01 }
        return (message, security)
    }
}

/// DRSKeySession: rotate's second read of the same DC's keys.
extension LiveKerberosTests {
    /// The second read reuses the first's tickets, port and connection; a connection the DC
    /// dropped is replaced (the tickets still reused); one idle past `maxIdle` is not used again.
    @Test func aKeySessionReusesItsTicketsAndConnection() async throws {
        let c = try LiveDC.config()
        let host = try await Self.dcHostName()
        let dn = "CN=krbtgt,CN=Users,\(c.baseDN)"
        let oracle = try await LiveDC.oracle("krbtgt")
        let session = DRSKeySession(host: c.ip, signIn: try Self.passwordSignIn(c, host: host), timeout: .seconds(20))
        func readMatches() async throws {
            let keys = try await session.readKeys(objectDN: dn)
            #expect(keys.signedInWith == .kerberos)
            #expect(keys.current.hex(ofType: 18) == oracle.keys)
            #expect(keys.previous.hex(ofType: 18) == oracle.old_keys)
        }
        try await readMatches()
        try await readMatches()
        #expect(session.counts == .init(signIns: 1, lookups: 1, connections: 1, reused: 1))
        session.shutDownKeptConnection()
        try await readMatches()
        #expect(session.counts == .init(signIns: 1, lookups: 1, connections: 2, reused: 1))
        session.maxIdle = .zero
        try await readMatches()
        #expect(session.counts == .init(signIns: 1, lookups: 1, connections: 3, reused: 1))
    }

    /// A wrong password fails each read, and nothing is kept from the failed sign-in.
    @Test func aKeySessionWithAWrongPasswordFailsEachRead() async throws {
        let c = try LiveDC.config()
        let host = try await Self.dcHostName()
        let session = DRSKeySession(host: c.ip, signIn: try Self.passwordSignIn(c, host: host, password: Secret(LiveDC.randomPassword())),
                                    timeout: .seconds(20))
        for _ in 0..<2 {
            let e = try await #require(throws: DRSError.self) { _ = try await session.readKeys(objectDN: "CN=krbtgt,CN=Users,\(c.baseDN)") }
            #expect(e.step == .authentication, "\(e)")
        }
        #expect(session.counts == .init())
    }
}
