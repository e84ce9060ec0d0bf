import Foundation
import Basics
import Testing
@testable import DRSClient

/// Records the server's token of a sign-in (the NTLM CHALLENGE_MESSAGE) as it passes.
final class TokenRecorder: @unchecked Sendable {
    var serverToken: [UInt8]?
}

struct RecordingAuthenticator: RPCAuthenticator {
    var inner: NTLMClient
    let recorder: TokenRecorder
    var authType: UInt8 { inner.authType }
    var offersHeaderSigning: Bool { inner.offersHeaderSigning }
    mutating func initialToken() throws -> [UInt8] { inner.initialToken() }
    mutating func finish(serverToken: [UInt8], headerSigning: Bool) throws -> (auth3: [UInt8], security: any RPCSecurity) {
        recorder.serverToken = serverToken
        return try inner.finish(serverToken: serverToken, headerSigning: headerSigning)
    }
}

extension LiveDC {
    /// What one IDL_DRSGetNCChanges call with `extendedOperation` for `dn` brought back, signed
    /// in as Administrator with NTLM: the reply stub as it came (unsealed), the reply, the
    /// session key and the NTLM challenge the DC sent.
    struct Exchange {
        var bindStub: [UInt8]
        var stub: [UInt8]
        var reply: DRSUAPI.GetNCChangesReply
        var sessionKey: [UInt8]
        var challenge: [UInt8]
    }

    static func getNCChanges(_ dn: String, extendedOperation: UInt32, destinationDSA: GUID = .zero) async throws -> Exchange {
        let c = try config()
        let password = try c.adminPassword
        return try await Task.detached {
            let s = Session(host: c.ip, port: nil, deadline: .now + .seconds(20), cancellation: CancellationSwitch())
            let rpc = RPCConnection(transport: try TCPConnection(host: c.ip, port: try s.endpoint(), deadline: .now + .seconds(20),
                                                                 cancellation: CancellationSwitch()))
            defer { rpc.close() }
            let recorder = TokenRecorder()
            try rpc.bind(interface: DRSUAPI.interface,
                         auth: RecordingAuthenticator(inner: NTLMClient(user: "Administrator", domain: c.netbiosDomain, password: password), recorder: recorder))
            let security = try #require(rpc.security)
            let bindStub = try rpc.call(opnum: DRSUAPI.Opnum.bind, stub: DRSUAPI.bindRequest(epoch: 0))
            let bind = try DRSUAPI.parseBindReply(bindStub)
            let attributes = [DRSSecretReader.supplementalCredentialsOID, DRSSecretReader.unicodePwdOID]
                .compactMap { PrefixTable.requestDefaults.attrType(for: $0) }
            var request = DRSUAPI.GetNCChangesRequest(objectDN: dn, extendedOperation: extendedOperation, partialAttributeSet: attributes)
            request.destinationDSA = destinationDSA
            let stub = try rpc.call(opnum: DRSUAPI.Opnum.getNCChanges, stub: DRSUAPI.getNCChangesRequest(bind.handle, request))
            return Exchange(bindStub: bindStub, stub: stub, reply: try DRSUAPI.parseGetNCChangesReply(stub),
                            sessionKey: security.sessionKey, challenge: try #require(recorder.serverToken))
        }.value
    }
}

extension LiveDC {
    /// The objectGUID of the DC's own NTDS Settings object (its DSA GUID), from the root DSE's dsServiceName.
    static func ownDSAGUID() async throws -> GUID {
        let root = try await ldap("ldapsearch", ["-LLL", "-o", "ldif-wrap=no", "-b", "", "-s", "base", "(objectClass=*)", "dsServiceName"])
        let ntds = try #require(root.split(separator: "\n").first { $0.hasPrefix("dsServiceName: ") }).dropFirst("dsServiceName: ".count)
        let entry = try await ldap("ldapsearch", ["-LLL", "-o", "ldif-wrap=no", "-b", String(ntds), "-s", "base", "(objectClass=*)", "objectGUID"])
        let value = try #require(entry.split(separator: "\n").first { $0.hasPrefix("objectGUID:: ") }).dropFirst("objectGUID:: ".count)
        return GUID(wire: [UInt8](try #require(Data(base64Encoded: String(value)))))
    }
}

extension LiveDCTests {
    /// What Samba (4.17) answers a Domain Admin for each of the three codes around the one
    /// aadkerb sends, for krbtgt with supplementalCredentials and unicodePwd asked for
    /// (docs/key-material.md): EXOP_REPL_OBJ (6) is granted with those two; the real
    /// EXOP_REPL_SECRET (7) fails the call with WERR_DS_DRA_DB_ERROR while the destination DSA
    /// GUID is zero (as aadkerb sends it), and with the DC's own DSA GUID is granted with every
    /// secret attribute; EXOP_FSMO_ABANDON_ROLE (5) returns no object and EXOP_ERR_UNKNOWN_CALLER.
    @Test func sambaAnswersEachExtendedOperation() async throws {
        let dn = "CN=krbtgt,CN=Users,\(try LiveDC.config().baseDN)"
        let object = try await LiveDC.getNCChanges(dn, extendedOperation: DRSUAPI.ExtendedOperation.replicateObject).reply
        #expect(object.status == 0 && object.extendedResult == DRSUAPI.ExtendedOperation.success)
        let attributes = try #require(object.objects.first).attributes.map { object.prefixTable.oid(for: $0.type) }
        #expect(attributes.contains(DRSSecretReader.supplementalCredentialsOID) && attributes.contains(DRSSecretReader.unicodePwdOID))

        let secrets = try await LiveDC.getNCChanges(dn, extendedOperation: DRSUAPI.ExtendedOperation.replicateSecrets).reply
        #expect(Status.werrorName(secrets.status) == "WERR_DS_DRA_DB_ERROR" && secrets.objects.isEmpty, "status \(secrets.status)")
        // naming a destination DSA that exists (the DC's own NTDS Settings), the caller's
        // DS-Replication-Get-Changes-All is enough: every secret attribute, asked for or not
        let named = try await LiveDC.getNCChanges(dn, extendedOperation: DRSUAPI.ExtendedOperation.replicateSecrets,
                                                  destinationDSA: try await LiveDC.ownDSAGUID()).reply
        #expect(named.status == 0 && named.extendedResult == DRSUAPI.ExtendedOperation.success)
        let revealed = Set(try #require(named.objects.first).attributes.compactMap { named.prefixTable.oid(for: $0.type) })
        #expect(revealed.isSuperset(of: [DRSSecretReader.supplementalCredentialsOID, DRSSecretReader.unicodePwdOID,
                                         "1.2.840.113556.1.4.94", "1.2.840.113556.1.4.160"]), "\(revealed)")  // + ntPwdHistory, lmPwdHistory

        let abandon = try await LiveDC.getNCChanges(dn, extendedOperation: DRSUAPI.ExtendedOperation.fsmoAbandonRole).reply
        #expect(abandon.status == 0 && abandon.objects.isEmpty)
        #expect(DRSUAPI.ExtendedOperation.resultName(abandon.extendedResult) == "EXOP_ERR_UNKNOWN_CALLER")
    }
}

/// Not a test of behaviour: `scripts/fuzz --capture` runs it (AADKERB_FUZZ_SEED_DIR set) to save
/// what a real Samba DC sends as seeds for the fuzz targets (Fuzz/corpus/). Its account is a
/// throw-away user with a random password nobody keeps, deleted afterwards; the reply stubs
/// hold its secrets only encrypted with a session key that is not saved. The decrypted
/// supplementalCredentials seed holds that deleted user's keys (of a throw-away test DC).
@Suite(.serialized, .enabled(if: LiveDC.enabled && ProcessInfo.processInfo.environment["AADKERB_FUZZ_SEED_DIR"] != nil,
                             "only for scripts/fuzz --capture"))
struct FuzzSeedCapture {
    @Test func captureSeeds() async throws {
        let out = URL(fileURLWithPath: try #require(ProcessInfo.processInfo.environment["AADKERB_FUZZ_SEED_DIR"]))
        func save(_ target: String, _ name: String, _ bytes: [UInt8]) throws {
            let dir = out.appendingPathComponent(target)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try Data(bytes).write(to: dir.appendingPathComponent(name))
        }
        let c = try LiveDC.config()
        let dn = "CN=fuzz-seed-user,CN=Users,\(c.baseDN)"
        let password = LiveDC.randomPassword()
        if await LiveDC.exists(dn) { try await LiveDC.ldap("ldapdelete", [dn]) }
        try await LiveDC.ldap("ldapadd", ldif: "dn: \(dn)\nobjectClass: user\nsAMAccountName: fuzz-seed-user\nuserAccountControl: 512\nunicodePwd:: \(LiveDC.unicodePwd(password))\n")
        // the throw-away user goes whatever happens (a defer cannot wait for ldapdelete)
        do { try await capture(c, dn, save) } catch { _ = try? await LiveDC.ldap("ldapdelete", [dn]); throw error }
        _ = try? await LiveDC.ldap("ldapdelete", [dn])
    }

    func capture(_ c: LiveDC.Config, _ dn: String, _ save: (String, String, [UInt8]) throws -> Void) async throws {
        let user = try await LiveDC.getNCChanges(dn, extendedOperation: DRSUAPI.ExtendedOperation.replicateObject)
        try save("getncchanges", "samba-repl-obj-user.bin", user.stub)
        try save("getncchanges", "samba-dsbind-reply.bin", user.bindStub)
        try save("ntlm-challenge", "samba-challenge.bin", user.challenge)
        let object = try #require(user.reply.objects.first)
        let oids = object.attributes.map { user.reply.prefixTable.oid(for: $0.type) }
        // The decrypted supplemental credentials are not saved: they are keys in the clear.
        #expect(oids.contains(DRSSecretReader.supplementalCredentialsOID))

        let missing = try await LiveDC.getNCChanges("CN=no such account,CN=Users,\(c.baseDN)", extendedOperation: DRSUAPI.ExtendedOperation.replicateObject)
        try save("getncchanges", "samba-bad-dn.bin", missing.stub)
        let secrets = try await LiveDC.getNCChanges(dn, extendedOperation: DRSUAPI.ExtendedOperation.replicateSecrets)
        try save("getncchanges", "samba-repl-secrets-user.bin", secrets.stub)

        // the endpoint mapper's answer (ept_map for DRSUAPI), unauthenticated
        let mapReply = try await Task.detached {
            let rpc = RPCConnection(transport: try TCPConnection(host: c.ip, port: EndpointMapper.port, deadline: .now + .seconds(20),
                                                                 cancellation: CancellationSwitch()))
            defer { rpc.close() }
            try rpc.bind(interface: EndpointMapper.interface, auth: nil)
            return try rpc.call(opnum: EndpointMapper.mapOpnum, stub: EndpointMapper.mapRequest(for: DRSUAPI.interface))
        }.value
        try save("getncchanges", "samba-ept-map-reply.bin", mapReply)
    }
}
