import Foundation
import Basics
import Testing
@testable import DRSClient

/// Kerberos sign-in to DRSUAPI against the same real Samba DC as LiveDCTests: kinit as
/// Administrator into a private credential cache, then read keys with no password at all.
/// KRB5_CONFIG (the DC's krb5.conf, KDC by address) and KRB5CCNAME are process-wide, so this
/// suite sets them for its own run only; nothing else in this test target uses Kerberos.
@Suite(.serialized, .enabled(if: LiveDC.enabled, "needs AADKERB_DRS_TEST_DC_DIR: a DC directory of scripts/samba-dc, running"))
struct LiveKerberosTests {
    /// The DC's DNS name from its dc.conf (HOSTNAME) or, failing that, its root DSE.
    static func dcHostName() async throws -> String {
        let c = try LiveDC.config()
        let name = try #require(try await LiveDC.ldap("ldapsearch", ["-LLL", "-b", "", "-s", "base", "(objectClass=*)", "dnsHostName"])
            .split(separator: "\n").first { $0.hasPrefix("dnsHostName: ") }.map { String($0.dropFirst(13)) })
        #expect(name.lowercased().hasSuffix("." + c.dnsDomain.lowercased()))
        return name
    }

    /// Runs `body` with KRB5_CONFIG set to the DC's and KRB5CCNAME to a fresh FILE ccache,
    /// kinit'ed as Administrator first when `kinit`.
    static func withCCache<R>(kinit: Bool, service: String? = nil, _ body: (String) async throws -> R) async throws -> R {
        let c = try LiveDC.config()
        let ccache = FileManager.default.temporaryDirectory.appendingPathComponent("drs-live-cc-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: ccache) }
        setenv("KRB5_CONFIG", c.dir + "/krb5.conf", 1)
        setenv("KRB5CCNAME", "FILE:" + ccache, 1)
        defer { unsetenv("KRB5CCNAME"); unsetenv("KRB5_CONFIG") }
        if kinit {
            // The password goes to kinit on stdin from its 0600 file, never in argv.
            // With `service`, only a ticket for it (kinit -S), no TGT.
            try await LiveDC.run("/bin/sh", ["-c", "exec /usr/bin/kinit ${3:+-S \"$3\"} \"Administrator@$1\" < \"$2\" > /dev/null", "sh",
                                       c.dnsDomain.uppercased(), c.adminPasswordFile, service ?? ""])
        }
        return try await body("FILE:" + ccache)
    }

    /// krbtgt's keys read with Kerberos, signing in to `dcHostName`, which must fail: its error.
    static func failingKrbtgtRead(_ c: LiveDC.Config, dcHostName: String) async throws -> DRSError {
        try await #require(throws: DRSError.self) {
            _ = try await DRSSecretReader.readKeys(host: c.ip, signIn: .kerberos(dcHostName: dcHostName),
                                                   objectDN: "CN=krbtgt,CN=Users,\(c.baseDN)", timeout: .seconds(20))
        }
    }

    @Test func krbtgtKeysReadWithKerberosEqualTheNTLMReadAndWhatSambaHolds() async throws {
        let c = try LiveDC.config()
        let dn = "CN=krbtgt,CN=Users,\(c.baseDN)"
        let host = try await Self.dcHostName()
        let kerberos = try await Self.withCCache(kinit: true) { _ in
            try await DRSSecretReader.readKeys(host: c.ip, signIn: .kerberos(dcHostName: host), objectDN: dn, timeout: .seconds(20))
        }
        let ntlm = try await LiveDC.keys(dn)
        let oracle = try await LiveDC.oracle("krbtgt")
        #expect(kerberos.salt == oracle.salt)
        #expect(!oracle.keys.isEmpty)
        #expect(kerberos.current.hex(ofType: 18) == oracle.keys)
        #expect(kerberos.current.hex(ofType: 17) == ntlm.current.hex(ofType: 17))
        #expect(kerberos.current.hex(ofType: 18) == ntlm.current.hex(ofType: 18))
        #expect(kerberos.previous.hex(ofType: 18) == oracle.old_keys)
        #expect(kerberos.keyVersion == ntlm.keyVersion)
    }

    /// An RODC-style krbtgt account after a reset: current and previous keys, over Kerberos,
    /// with 1432-byte fragments so Samba's reply comes in several sealed fragments.
    @Test func smallFragmentsAndPreviousKeysOverKerberos() async throws {
        let c = try LiveDC.config()
        // Not LiveDCTests' account: that suite runs in parallel and resets its password.
        let (dn, sam) = try await LiveDC.freshRODCKrbtgt("drs-test-krbtgt-k")
        let host = try await Self.dcHostName()
        let keys = try await Self.withCCache(kinit: true) { _ in
            try await Task.detached {
                var s = Session(host: c.ip, port: nil, deadline: .now + .seconds(20), cancellation: CancellationSwitch())
                s.fragmentSize = 1432
                return try s.readKeys(signIn: .kerberos(dcHostName: host), objectDN: dn)
            }.value
        }
        let oracle = try await LiveDC.oracle(sam)
        #expect(keys.current.hex(ofType: 18) == oracle.keys)
        #expect(keys.previous.hex(ofType: 18) == oracle.old_keys)
        #expect(!oracle.old_keys.isEmpty)
    }

    /// Samba echoes PFC_SUPPORT_HEADER_SIGN, so the PDU header and sec_trailer are signed along with
    /// the stub; a sealed DsBind then round-trips.
    @Test func bindNegotiatesHeaderSigningAndASealedCallRoundTrips() async throws {
        let c = try LiveDC.config()
        let host = try await Self.dcHostName()
        let (signing, status, keyLength) = try await Self.withCCache(kinit: true) { _ in
            try await Task.detached {
                let s = Session(host: c.ip, port: nil, deadline: .now + .seconds(20), cancellation: CancellationSwitch())
                let port = try s.endpoint()
                let rpc = RPCConnection(transport: try TCPConnection(host: c.ip, port: port, deadline: .now + .seconds(20), cancellation: CancellationSwitch()))
                defer { rpc.close() }
                try rpc.bind(interface: DRSUAPI.interface, auth: try KerberosClient(target: "host@\(host)"))
                let security = try #require(rpc.security as? KerberosSecurity)
                let reply = try DRSUAPI.parseBindReply(try rpc.call(opnum: DRSUAPI.Opnum.bind, stub: DRSUAPI.bindRequest(epoch: 0)))
                return (security.headerSigning, reply.status, security.sessionKey.count)
            }.value
        }
        #expect(signing)
        #expect(status == 0)
        #expect(keyLength == 32)  // the AES-256 session key, not a 16-byte NTLM-sized one
    }

    /// With 1432-byte fragments both ways, each fragment sealed on its own: a GetNCChanges
    /// request too long for one fragment (a 2000-character DN) is accepted as sealed (the DC
    /// answers with a status, not the fault 0x721 of a failed unseal), and the krbtgt secrets come
    /// back in more than one fragment.
    @Test func multiFragmentRequestsAndRepliesAreSealedPerFragment() async throws {
        let c = try LiveDC.config()
        let host = try await Self.dcHostName()
        let (longRequestStatus, replyFragments, extendedResult) = try await Self.withCCache(kinit: true) { _ in
            try await Task.detached {
                let s = Session(host: c.ip, port: nil, deadline: .now + .seconds(20), cancellation: CancellationSwitch())
                let rpc = RPCConnection(transport: try TCPConnection(host: c.ip, port: try s.endpoint(), deadline: .now + .seconds(20),
                                                                     cancellation: CancellationSwitch()), fragmentSize: 1432)
                defer { rpc.close() }
                try rpc.bind(interface: DRSUAPI.interface, auth: try KerberosClient(target: "host@\(host)"))
                let bind = try DRSUAPI.parseBindReply(try rpc.call(opnum: DRSUAPI.Opnum.bind, stub: DRSUAPI.bindRequest(epoch: 0)))
                let attributes = [DRSSecretReader.supplementalCredentialsOID, DRSSecretReader.unicodePwdOID]
                    .compactMap { PrefixTable.requestDefaults.attrType(for: $0) }
                func getNCChanges(_ dn: String) throws -> DRSUAPI.GetNCChangesReply {
                    let request = DRSUAPI.GetNCChangesRequest(objectDN: dn, extendedOperation: DRSUAPI.ExtendedOperation.replicateObject,
                                                              partialAttributeSet: attributes)
                    return try DRSUAPI.parseGetNCChangesReply(try rpc.call(opnum: DRSUAPI.Opnum.getNCChanges,
                                                                           stub: DRSUAPI.getNCChangesRequest(bind.handle, request)))
                }
                let long = try getNCChanges("CN=" + String(repeating: "x", count: 2000) + ",CN=Users,\(c.baseDN)")
                let before = rpc.responseFragmentCount
                let real = try getNCChanges("CN=krbtgt,CN=Users,\(c.baseDN)")
                return (long.status, rpc.responseFragmentCount - before, real.extendedResult)
            }.value
        }
        #expect(longRequestStatus != 0)  // no such object: answered, so the sealed fragments were read
        #expect(replyFragments > 1, "the secrets came in \(replyFragments) fragment(s)")
        #expect(extendedResult == DRSUAPI.ExtendedOperation.success)
    }

    /// No ticket: refused before any network work, saying kinit, with GSS's own words.
    @Test func withoutATicketTheErrorSaysKinit() async throws {
        let c = try LiveDC.config()
        let host = try await Self.dcHostName()
        let e = try await Self.withCCache(kinit: false) { ccache in
            let e = try await Self.failingKrbtgtRead(c, dcHostName: host)
            #expect(e.detail.contains(ccache))  // GSS names the cache it looked in
            return e
        }
        #expect(e.step == .authentication)
        #expect(e.statusName == "GSS")
        #expect(e.detail.contains("run kinit first"))
        #expect(e.detail.contains("No Kerberos credentials available"))
        #expect(e.detail.contains("host@\(host)"))
    }

    /// A ccache with a service ticket for LDAP and no TGT: the principal is known, a ticket for host/ cannot be had.
    @Test func aCacheWithoutATGTSaysKinitAndNamesThePrincipal() async throws {
        let c = try LiveDC.config()
        let host = try await Self.dcHostName()
        let e = try await Self.withCCache(kinit: true, service: "ldap/\(host)") { _ in
            try await Self.failingKrbtgtRead(c, dcHostName: host)
        }
        #expect(e.step == .authentication)
        #expect(e.detail.contains("run kinit first"))
        #expect(e.detail.contains("Administrator@\(c.dnsDomain.uppercased())"))
        #expect(e.detail.contains("Matching credential not found"))
    }

    /// A TGT, but no KDC answers for the DC's service ticket (krb5.conf pointed at a dead address
    /// after kinit): a connection failure (exit 12 in the CLI), not a refused sign-in.
    @Test func anUnreachableKDCIsAConnectionFailure() async throws {
        let c = try LiveDC.config()
        let host = try await Self.dcHostName()
        let deadKDC = FileManager.default.temporaryDirectory.appendingPathComponent("krb5-dead-kdc-\(UUID().uuidString).conf").path
        defer { try? FileManager.default.removeItem(atPath: deadKDC) }
        let conf = try String(contentsOfFile: c.dir + "/krb5.conf", encoding: .utf8)
            .replacingOccurrences(of: "kdc = \(c.ip)", with: "kdc = 127.0.0.99")
        try #require(conf.contains("kdc = 127.0.0.99"))
        try (conf + "[libdefaults]\n\tkdc_timeout = 1\n\tmax_retries = 1\n").write(toFile: deadKDC, atomically: true, encoding: .utf8)
        let e = try await Self.withCCache(kinit: true) { _ in
            setenv("KRB5_CONFIG", deadKDC, 1)  // withCCache unsets it afterwards
            return try await Self.failingKrbtgtRead(c, dcHostName: host)
        }
        #expect(e.step == .connect, "\(e)")
        #expect(e.detail.contains("no KDC answered"))
        #expect(!e.detail.contains("run kinit first"))
    }

    /// A ticket for a service the DC is not: the KDC has no such principal, and the error says which.
    @Test func anUnknownServicePrincipalFailsAtBindAuth() async throws {
        let c = try LiveDC.config()
        let e = try await Self.withCCache(kinit: true) { _ in
            try await Self.failingKrbtgtRead(c, dcHostName: "no-such-dc.\(c.dnsDomain)")
        }
        #expect(e.step == .authentication)
        #expect(e.detail.contains("host@no-such-dc.\(c.dnsDomain)"))
        #expect(!e.detail.contains("run kinit first"))
    }
}
