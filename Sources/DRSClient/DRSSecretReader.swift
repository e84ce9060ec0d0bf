import Logging
import Dispatch
import Basics

/// The Kerberos keys a DC holds for an account, as replicated to another DC.
public struct ReplicatedKerberosKeys: Sendable {
    /// The default salt, e.g. "CONTOSO.CORP.COMkrbtgt_1234".
    public let salt: String
    /// Primary:Kerberos-Newer-Keys "keys" (aes256 = 18, aes128 = 17, ...).
    public let current: [KerberosKeyBlob]
    /// "old_keys" (empty until the password has been changed once).
    public let previous: [KerberosKeyBlob]
    /// The version of the account's unicodePwd in its replication metadata, which is what
    /// msDS-KeyVersionNumber reports; nil if the reply did not carry it.
    public let keyVersion: UInt32?
    /// How the read signed in (a `.password` sign-in is Kerberos unless no KDC answered); nil
    /// for keys not read from a DC.
    public internal(set) var signedInWith: DRSMechanism?

    public init(salt: String, current: [KerberosKeyBlob], previous: [KerberosKeyBlob], keyVersion: UInt32?) {
        self.salt = salt
        self.current = current
        self.previous = previous
        self.keyVersion = keyVersion
    }
}

public struct KerberosKeyBlob: Sendable {
    public let encryptionType: Int32
    public let key: Secret
    public let iterationCount: UInt32

    public init(encryptionType: Int32, key: Secret, iterationCount: UInt32) {
        self.encryptionType = encryptionType
        self.key = key
        self.iterationCount = iterationCount
    }
}

/// The security provider a key read signed in with.
public enum DRSMechanism: String, Sendable {
    case kerberos = "Kerberos"
    case ntlm = "NTLM"
}

/// Where a `.password` sign-in asks for its tickets: by default the DC's own address, port 88.
public struct KDCAddress: Sendable, Equatable {
    public var host: String
    public var port: UInt16
    public init(host: String, port: UInt16 = 88) {
        self.host = host
        self.port = port
    }
}

/// How a key read signs in to the DC's DRSUAPI endpoint; either way the connection is sealed at
/// PKT_PRIVACY and the sign-in's session key decrypts the secrets.
public enum DRSSignIn: Sendable {
    /// NTLMv2 with a password. user: sAMAccountName (or UPN); domain: NetBIOS or DNS domain name.
    /// dcHostName: the DC's DNS name, for MsvAvTargetName `host/<dcHostName>`. The AUTHENTICATE
    /// message carries MsvAvFlags and a MIC either way (docs/security.md).
    case ntlm(user: String, domain: String, password: Secret, dcHostName: String? = nil)
    /// Kerberos with the ticket in the default credential cache (KRB5CCNAME, after kinit), no
    /// password. dcHostName: the DC's DNS name, for its service name `host@<dcHostName>`;
    /// servicePrincipal overrides that (e.g. the DRS SPN `E3514235-4B06-11D1-AB04-00C04FC2DCD2/<ntds guid>/<domain>`).
    case kerberos(dcHostName: String, servicePrincipal: String? = nil)
    /// A password, Kerberos first: a TGT for the user and a ticket for `host/<dcHostName>@<realm>`
    /// from the KDC at `kdc` (default: the DC's address, port 88), into a MEMORY credential cache
    /// that ends with the read, then the Kerberos sign-in. Only when no KDC answers (refused,
    /// unreachable, timed out) NTLMv2 with MIC and target name instead, logged as a warning. A
    /// KDC that answers and refuses (a wrong password) fails the read at bind/auth.
    /// user and domain as for `.ntlm`; the Kerberos client is `user@<realm>`, or the enterprise
    /// name `user@domain` (a UPN) when domain is a DNS name other than the realm.
    case password(user: String, domain: String, password: Secret, realm: String, dcHostName: String, kdc: KDCAddress? = nil)

    var authType: String {
        switch self {
        case .ntlm: return "NTLM"
        case .kerberos: return "Kerberos"
        case .password: return "password (Kerberos first)"
        }
    }
}

/// Reads an account's Kerberos keys from a domain controller with DRSUAPI IDL_DRSGetNCChanges,
/// extended operation EXOP_REPL_OBJ (6) with the secret attributes in its partial attribute set,
/// over DCE/RPC on TCP signed in with NTLMv2 or Kerberos (GSS-API, DCE style) at PKT_PRIVACY. The caller needs the right to replicate secrets
/// (Domain Admins have it).
public enum DRSSecretReader {
    static let supplementalCredentialsOID = "1.2.840.113556.1.4.125"
    static let unicodePwdOID = "1.2.840.113556.1.4.90"

    /// Reads the keys of `objectDN` from the DC at `host` (IP or name), signing in as `signIn` says.
    /// The port is found through the endpoint mapper (TCP 135) unless given. `timeout` bounds the
    /// whole exchange. The blocking socket work runs on a dispatch queue of its own, never on
    /// Swift's cooperative pool; cancelling the task shuts the socket down.
    public static func readKeys(host: String, port: UInt16? = nil, signIn: DRSSignIn,
                                objectDN: String, timeout: Duration = .seconds(10)) async throws -> ReplicatedKerberosKeys {
        try await run(on: DispatchQueue(label: "aadkerb.drs.\(host)"), host: host, signIn: signIn, objectDN: objectDN) { cancellation in
            let session = Session(host: host, port: port, deadline: .now + timeout, cancellation: cancellation)
            return try session.readKeys(signIn: signIn, objectDN: objectDN)
        }
    }

    /// Runs one read on `queue` (blocking socket work, off Swift's cooperative pool); cancelling
    /// the task shuts its socket down. Logs which object and how it ended, never key material.
    static func run(on queue: DispatchQueue, host: String, signIn: DRSSignIn, objectDN: String,
                    _ read: @escaping @Sendable (CancellationSwitch) throws -> ReplicatedKerberosKeys) async throws -> ReplicatedKerberosKeys {
        try Task.checkCancellation()
        let cancellation = CancellationSwitch()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ReplicatedKerberosKeys, any Error>) in
                queue.async {
                    let result = Result { try read(cancellation) }
                    // Which object and how it ended; never key material.
                    switch result {
                    case let .success(keys):
                        drsLog.debug("read keys", metadata: ["host": "\(host)", "object": "\(objectDN)",
                                                            "auth": "\(keys.signedInWith?.rawValue ?? signIn.authType)",
                                                            "current": "\(keys.current.count)", "previous": "\(keys.previous.count)"])
                    case let .failure(error):
                        drsLog.debug("read keys failed", metadata: ["host": "\(host)", "object": "\(objectDN)", "error": "\(error)"])
                    }
                    continuation.resume(with: result)
                }
            }
        } onCancel: {
            cancellation.cancel()
        }
    }
}

/// One key read, start to finish, on the calling (dedicated) thread.
struct Session {
    let host: String
    let port: UInt16?
    let deadline: ContinuousClock.Instant
    let cancellation: CancellationSwitch
    var fragmentSize = RPCConnection.defaultFragment
    /// How long a `.password` sign-in waits for the KDC (each request) before it takes NTLM.
    var kdcTimeout: Duration = .seconds(5)

    func readKeys(signIn: DRSSignIn, objectDN: String) throws -> ReplicatedKerberosKeys {
        let credentials = try self.signIn(signIn)
        return try withExtendedLifetime(credentials) {  // the MEMORY cache, alive until the read is over
            let drs = try open(credentials, signIn: signIn, port: try port ?? endpoint())
            defer {
                unbind(drs.rpc, drs.handle)
                drs.rpc.close()
            }
            return try keys(drs, objectDN: objectDN)
        }
    }

    /// What a sign-in to the DC needs, found or obtained before any RPC work: the user, the
    /// mechanism, and (for a `.password` sign-in by Kerberos) the tickets in their MEMORY cache,
    /// alive as long as this value. Each RPC bind takes a fresh authenticator from it.
    struct SignedIn {
        let user: String
        let mechanism: DRSMechanism
        let tickets: PasswordKerberos?
        let authenticator: () throws -> any RPCAuthenticator
    }

    /// A DRSUAPI connection signed in and bound (IDL_DRSBind): its RPC connection, its context
    /// handle and how it signed in. Used on one thread at a time.
    final class OpenDRS {
        let rpc: RPCConnection
        let handle: ContextHandle
        let mechanism: DRSMechanism
        /// When its last call ended (for `DRSKeySession`'s idle limit).
        var lastUsed = ContinuousClock.now

        init(rpc: RPCConnection, handle: ContextHandle, mechanism: DRSMechanism) {
            self.rpc = rpc
            self.handle = handle
            self.mechanism = mechanism
        }
    }

    func signIn(_ signIn: DRSSignIn) throws -> SignedIn {
        // Kerberos: find the ticket before any network work, so a missing one is said plainly.
        switch signIn {
        case let .ntlm(name, domain, password, dcHostName):
            return SignedIn(user: name, mechanism: .ntlm, tickets: nil) {
                NTLMClient(user: name, domain: domain, password: password, targetName: dcHostName.map { "host/\($0)" })
            }
        case let .kerberos(dcHostName, servicePrincipal):
            let target = servicePrincipal ?? "host@\(dcHostName)"
            let user: String
            switch Kerberos.defaultPrincipal() {
            case let .success(principal): user = principal
            case let .failure(error): throw Self.noTicket(error, target: target, dcHostName: dcHostName, principal: nil)
            }
            let first: KerberosClient
            do {
                first = try KerberosClient(target: target)
            } catch {
                throw DRSError(.authentication, "Kerberos sign-in as \(user) to \(target): \(error)")
            }
            var unused: KerberosClient? = first  // the first bind takes the one made here
            return SignedIn(user: user, mechanism: .kerberos, tickets: nil) {
                if let ready = unused { unused = nil; return ready }
                do {
                    return try KerberosClient(target: target)
                } catch {
                    throw DRSError(.authentication, "Kerberos sign-in as \(user) to \(target): \(error)")
                }
            }
        case let .password(name, domain, password, realm, dcHostName, kdc):
            let client = Self.kerberosClient(user: name, domain: domain, realm: realm)
            let service = "host/\(dcHostName)@\(realm.uppercased())"
            let kdc = kdc ?? KDCAddress(host: host)
            do {
                let obtained = try PasswordKerberos(name: client.name, realm: realm.uppercased(), enterprise: client.enterprise,
                                                    service: service, password: password) { request in
                    try PasswordKerberos.tcpExchange(host: kdc.host, port: kdc.port, request: request,
                                                     deadline: min(deadline, .now + kdcTimeout), cancellation: cancellation)
                }
                var unused: KerberosClient? = try KerberosClient(target: obtained.servicePrincipal, ccache: obtained.ccacheName)
                drsLog.debug("Kerberos tickets from the password", metadata: ["kdc": "\(kdc.host):\(kdc.port)", "client": "\(client.display)",
                                                                               "service": "\(obtained.servicePrincipal)"])
                return SignedIn(user: client.display, mechanism: .kerberos, tickets: obtained) {
                    if let ready = unused { unused = nil; return ready }
                    do {
                        return try KerberosClient(target: obtained.servicePrincipal, ccache: obtained.ccacheName)
                    } catch let error as GSSError {
                        throw DRSError(.authentication, "Kerberos sign-in as \(client.display) to \(service): \(error)")
                    }
                }
            } catch let unreachable as PasswordKerberos.KDCUnreachable {
                // Only a KDC that does not answer at all: Kerberos is then impossible, not refused.
                drsLog.warning("no KDC answered; signing in to DRSUAPI with NTLM instead (with MIC and target name)",
                               metadata: ["kdc": "\(kdc.host):\(kdc.port)", "why": "\(unreachable.why)", "dc": "\(dcHostName)"])
                return SignedIn(user: name, mechanism: .ntlm, tickets: nil) {
                    NTLMClient(user: name, domain: domain, password: password, targetName: "host/\(dcHostName)")
                }
            } catch let refused as PasswordKerberos.Refused {
                let why = PasswordKerberos.wrongPasswordCodes.contains(refused.code) ? " (wrong password?)" : ""
                throw DRSError(.authentication, "the KDC at \(kdc.host):\(kdc.port) refused the Kerberos sign-in of \(client.display)\(why): \(refused)",
                               status: UInt32(bitPattern: refused.code), statusName: "KRB5")
            } catch let error as GSSError {
                throw DRSError(.authentication, "Kerberos sign-in as \(client.display) to \(service): \(error)")
            }
        }
    }

    /// Connects to the DRSUAPI endpoint at `port`, signs in (RPC bind at PKT_PRIVACY) and binds
    /// (IDL_DRSBind, again with the DC's replication epoch if it has one).
    func open(_ credentials: SignedIn, signIn: DRSSignIn, port drsPort: UInt16) throws -> OpenDRS {
        let user = credentials.user
        let authenticator = try credentials.authenticator()
        let rpc = RPCConnection(transport: try connect(drsPort, purpose: "DRSUAPI"), fragmentSize: fragmentSize)
        var handed = false
        defer { if !handed { rpc.close() } }
        do {
            try rpc.bind(interface: DRSUAPI.interface, auth: authenticator)
        } catch let error as GSSError {
            if case .kerberos(let dcHostName, _) = signIn, error.isMissingCredentials {
                throw Self.noTicket(error, target: (authenticator as? KerberosClient)?.target ?? dcHostName, dcHostName: dcHostName, principal: user)
            }
            if error.isKDCUnreachable {
                throw DRSError(.connect, "Kerberos sign-in as \(user): no KDC answered for the DC's service ticket: \(error)")
            }
            throw DRSError(.authentication, "Kerberos sign-in as \(user): \(error)")
        } catch {
            throw mapped(error, .authentication)
        }
        guard rpc.security != nil else { throw DRSError(.authentication, "no \(signIn.authType) session after bind") }

        var bind = try dsBind(rpc, user: user, epoch: 0, first: true)
        if let epoch = bind.server?.replicationEpoch, epoch != 0 {
            // A DC whose replication epoch changed refuses GetNCChanges from another epoch: bind again with its own.
            unbind(rpc, bind.handle)
            bind = try dsBind(rpc, user: user, epoch: epoch, first: false)
        }
        if let flags = bind.server?.flags {
            guard flags & DRSUAPI.Extension.getChgReqV8 != 0 else {
                throw DRSError(.dsBind, String(format: "the DC does not support GetNCChanges request V8 (its extensions are 0x%08x)", flags))
            }
        }
        handed = true
        return OpenDRS(rpc: rpc, handle: bind.handle, mechanism: credentials.mechanism)
    }

    /// IDL_DRSGetNCChanges (EXOP_REPL_OBJ) for one object on an open connection: its keys.
    func keys(_ drs: OpenDRS, objectDN: String) throws -> ReplicatedKerberosKeys {
        let stub: [UInt8]
        do {
            stub = try getNCChanges(drs, objectDN: objectDN)
        } catch {
            throw mapped(error, .getNCChanges)
        }
        return try keys(drs, reply: stub, objectDN: objectDN)
    }

    /// The call alone; its errors unmapped (a kept connection's caller tells a lost connection by them).
    func getNCChanges(_ drs: OpenDRS, objectDN: String) throws -> [UInt8] {
        let attributes = [DRSSecretReader.supplementalCredentialsOID, DRSSecretReader.unicodePwdOID]
            .compactMap { PrefixTable.requestDefaults.attrType(for: $0) }
        let request = DRSUAPI.GetNCChangesRequest(objectDN: objectDN, extendedOperation: DRSUAPI.ExtendedOperation.replicateObject,
                                                  partialAttributeSet: attributes)
        defer { drs.lastUsed = .now }
        return try drs.rpc.call(opnum: DRSUAPI.Opnum.getNCChanges, stub: DRSUAPI.getNCChangesRequest(drs.handle, request))
    }

    /// The keys in a GetNCChanges reply, decrypted with the connection's session key.
    func keys(_ drs: OpenDRS, reply stub: [UInt8], objectDN: String) throws -> ReplicatedKerberosKeys {
        guard let security = drs.rpc.security else { throw DRSError(.authentication, "no session after bind") }
        let reply: DRSUAPI.GetNCChangesReply
        do {
            reply = try DRSUAPI.parseGetNCChangesReply(stub)
        } catch {
            throw mapped(error, .parse, prefix: "GetNCChanges reply: ")
        }
        var keys = try Self.keys(from: reply, objectDN: objectDN, sessionKey: security.sessionKey)
        keys.signedInWith = drs.mechanism
        return keys
    }

    /// The Kerberos client for a `.password` sign-in's user and domain (as NTLM has them): the
    /// enterprise name `user@domain` for a UPN whose suffix is not the realm, else `user@REALM`.
    static func kerberosClient(user: String, domain: String, realm: String) -> (name: String, enterprise: Bool, display: String) {
        if user.contains("@") { return (user, true, user) }
        if domain.contains("."), domain.lowercased() != realm.lowercased() { return ("\(user)@\(domain)", true, "\(user)@\(domain)") }
        return (user, false, "\(user)@\(realm.uppercased())")
    }

    /// No usable ticket: say so, what it was for, and what to do.
    static func noTicket(_ error: GSSError, target: String, dcHostName: String, principal: String?) -> DRSError {
        let realm = dcHostName.split(separator: ".").dropFirst().joined(separator: ".").uppercased()
        let example = principal.map { "kinit \($0)" } ?? (realm.isEmpty ? "kinit <user>@<REALM>" : "kinit <user>@\(realm)")
        let whose = principal.map { " of \($0)" } ?? ""
        return DRSError(.authentication, "no usable Kerberos ticket\(whose) to sign in to \(target) (\(error.text); GSS minor \(error.minor)): run kinit first (\(example)) as an account that may replicate secrets, or point KRB5CCNAME at its credential cache",
                        status: error.major, statusName: "GSS")
    }

    /// Checks the reply's status codes, finds the object's secrets, decrypts and decodes them.
    static func keys(from reply: DRSUAPI.GetNCChangesReply, objectDN: String, sessionKey: [UInt8]) throws -> ReplicatedKerberosKeys {
        guard reply.status == 0 else {
            throw DRSError(.getNCChanges, "the DC refused to replicate \(objectDN)", status: reply.status, statusName: Status.werrorName(reply.status))
        }
        guard reply.drsError == 0 else {
            throw DRSError(.getNCChanges, "the reply reports an error for \(objectDN)", status: reply.drsError, statusName: Status.werrorName(reply.drsError))
        }
        guard reply.extendedResult == DRSUAPI.ExtendedOperation.success else {
            throw DRSError(.getNCChanges, "EXOP_REPL_OBJ for \(objectDN) did not succeed", status: reply.extendedResult,
                           statusName: DRSUAPI.ExtendedOperation.resultName(reply.extendedResult))
        }
        let wanted = objectDN.lowercased()
        guard let object = reply.objects.first(where: { $0.name?.dn.lowercased() == wanted }) ?? (reply.objects.count == 1 ? reply.objects.first : nil) else {
            throw DRSError(.getNCChanges, "the reply holds \(reply.objects.count) objects and none is \(objectDN)")
        }
        let oids = object.attributes.map { reply.prefixTable.oid(for: $0.type) }
        guard let index = oids.firstIndex(of: DRSSecretReader.supplementalCredentialsOID), let encrypted = object.attributes[index].values.first else {
            throw DRSError(.getNCChanges, "the reply for \(object.name?.dn ?? objectDN) carries no supplementalCredentials: the DC did not reveal the account's secrets (or the account has none)")
        }
        var keyVersion: UInt32?
        if let p = oids.firstIndex(of: DRSSecretReader.unicodePwdOID), object.metaData.count == object.attributes.count {
            keyVersion = object.metaData[p].version
        }

        var blob: [UInt8]
        do {
            blob = try SecretDecryption.decrypt(encrypted, sessionKey: sessionKey)
        } catch {
            throw DRSError(.decrypt, "supplementalCredentials of \(objectDN): \(error)")
        }
        defer { wipe(&blob) }
        do {
            var properties = try SupplementalCredentials.properties(blob)
            defer { for i in properties.indices { wipe(&properties[i].value) } }
            guard let newer = properties.first(where: { $0.name == SupplementalCredentials.kerberosNewerKeys }) else {
                throw SupplementalCredentials.ParseError(what: "no \(SupplementalCredentials.kerberosNewerKeys) property (properties: \(properties.map(\.name).joined(separator: ", ")))")
            }
            let keys = try SupplementalCredentials.kerberosNewerKeys(newer.value)
            return ReplicatedKerberosKeys(salt: keys.salt, current: keys.current, previous: keys.previous, keyVersion: keyVersion)
        } catch {
            throw DRSError(.parse, "\(error)")
        }
    }

    // MARK: steps

    func connect(_ port: UInt16, purpose: String) throws -> TCPConnection {
        do {
            return try TCPConnection(host: host, port: port, deadline: deadline, cancellation: cancellation)
        } catch {
            throw mapped(error, .connect, prefix: "\(purpose): ")
        }
    }

    func endpoint() throws -> UInt16 {
        let rpc = RPCConnection(transport: try connect(EndpointMapper.port, purpose: "endpoint mapper"))
        defer { rpc.close() }
        do {
            try rpc.bind(interface: EndpointMapper.interface, auth: nil)
            let stub = try rpc.call(opnum: EndpointMapper.mapOpnum, stub: EndpointMapper.mapRequest(for: DRSUAPI.interface))
            return try EndpointMapper.parseMapReply(stub)
        } catch {
            throw mapped(error, .endpointMapper)
        }
    }

    /// Faults that, on the first call after auth3, mean the NTLM logon failed.
    static let authenticationFaults: Set<UInt32> = [0x5, 0x1c01000b, 0x721]

    private func dsBind(_ rpc: RPCConnection, user: String, epoch: UInt32, first: Bool) throws -> DRSUAPI.BindReply {
        let reply: DRSUAPI.BindReply
        do {
            reply = try DRSUAPI.parseBindReply(try rpc.call(opnum: DRSUAPI.Opnum.bind, stub: DRSUAPI.bindRequest(epoch: epoch)))
        } catch let RPCError.fault(status) where first && Self.authenticationFaults.contains(status) && rpc.security?.authType == RPCConnection.authTypeKerberos {
            throw DRSError(.authentication, "the DC rejected the Kerberos sign-in of \(user): its first sealed reply is a fault",
                           status: status, statusName: Status.rpcFaultName(status))
        } catch let RPCError.fault(status) where first && Self.authenticationFaults.contains(status) {
            // auth3 has no reply: a DC that rejects the NTLM logon says so on the first sealed call,
            // Windows with access denied, Samba with a protocol error (it logs NT_STATUS_WRONG_PASSWORD).
            throw DRSError(.authentication, "the DC rejected the NTLM logon of \(user) (wrong password, unknown or disabled account?): its first sealed reply is a fault",
                           status: status, statusName: Status.rpcFaultName(status))
        } catch RPCError.transport(TransportError.closed) where first {
            let how = rpc.security?.authType == RPCConnection.authTypeKerberos ? "Kerberos sign-in" : "NTLM logon"
            throw DRSError(.authentication, "the DC closed the connection after the \(how) of \(user) (credentials rejected?)")
        } catch {
            throw mapped(error, .dsBind)
        }
        guard reply.status == 0 else {
            throw DRSError(.dsBind, "IDL_DRSBind was refused", status: reply.status, statusName: Status.werrorName(reply.status))
        }
        return reply
    }

    /// IDL_DRSUnbind, best effort: the connection closes anyway.
    func unbind(_ rpc: RPCConnection, _ handle: ContextHandle) {
        _ = try? rpc.call(opnum: DRSUAPI.Opnum.unbind, stub: DRSUAPI.unbindRequest(handle))
    }

    func mapped(_ error: any Error, _ step: DRSError.Step, prefix: String = "") -> any Error {
        switch error {
        case let e as DRSError: return e
        case TransportError.cancelled, RPCError.transport(.cancelled): return CancellationError()
        case let RPCError.transport(t): return transportError(t, step, prefix)
        case let t as TransportError: return transportError(t, step, prefix)
        case let RPCError.fault(status):
            return DRSError(step, prefix + "the DC answered with an RPC fault", status: status, statusName: Status.rpcFaultName(status))
        case let RPCError.bindRejected(reason):
            return DRSError(step, prefix + "the DC rejected the bind (\(RPCError.bindNakReason(reason)))", status: UInt32(reason), statusName: "bind_nak")
        case let failure as EndpointMapper.MapFailed:
            return DRSError(step, prefix + failure.description, status: failure.status, statusName: "ept_map")
        case let e as NDRError: return DRSError(step == .endpointMapper ? step : .parse, prefix + e.what)
        default: return DRSError(step, prefix + "\(error)")
        }
    }

    private func transportError(_ t: TransportError, _ step: DRSError.Step, _ prefix: String) -> DRSError {
        if case .timedOut = t { return DRSError(step, prefix + t.description, isTimeout: true) }
        return DRSError(step, prefix + t.description)
    }
}

/// DRSUAPI key reads at debug level: host, object, outcome; never keys or session keys.
let drsLog = Logger(label: "aadkerb.drs")
