import Dispatch

/// Key reads from one DC, several in a run (`rotate` reads the krbtgt account's keys before its
/// lease and again to publish): the first read signs in and connects as `DRSSecretReader.readKeys`
/// does; later ones reuse its sign-in (the Kerberos tickets in their MEMORY cache, or the NTLM
/// fallback), the DRSUAPI port the endpoint mapper named, and the bound connection itself if it
/// has been idle less than `maxIdle`. A kept connection found closed (the DC dropped it) is
/// replaced by a new one within the same read's timeout. Each read is bounded by `timeout`, and
/// cancelling its task shuts its socket down, as for `DRSSecretReader.readKeys`.
///
/// Everything ends with the object: the connection is closed (without IDL_DRSUnbind: the DC
/// releases the context handle with the connection) and the MEMORY cache destroyed. Meant for one
/// command's run, not a long-lived service: tickets older than `maxCredentialAge` are obtained anew.
public final class DRSKeySession: @unchecked Sendable {
    public let host: String
    public let port: UInt16?
    public let signIn: DRSSignIn
    public let timeout: Duration
    /// A kept connection idle longer than this is not used again: a NAT or firewall between may
    /// have dropped it without a word, which would cost the read its whole timeout to find out.
    var maxIdle: Duration = .seconds(60)
    /// The sign-in is reused for this long (tickets live 10 h by default; a domain may shorten them).
    var maxCredentialAge: Duration = .seconds(600)
    var fragmentSize = RPCConnection.defaultFragment
    var kdcTimeout: Duration = .seconds(5)

    /// What the reads did so far (for tests and the debug log).
    struct Counts: Equatable, Sendable {
        /// Sign-ins (tickets obtained from the KDC, or NTLM chosen), endpoint mapper lookups,
        /// DRSUAPI connections made, reads over a kept connection.
        var signIns = 0, lookups = 0, connections = 0, reused = 0
    }

    private let queue: DispatchQueue
    // Touched only on `queue` (and in deinit, when nothing else can).
    private var credentials: (signedIn: Session.SignedIn, since: ContinuousClock.Instant)?
    private var drsPort: UInt16?
    private var kept: Session.OpenDRS?
    private var counted = Counts()

    public init(host: String, port: UInt16? = nil, signIn: DRSSignIn, timeout: Duration = .seconds(10)) {
        self.host = host
        self.port = port
        self.signIn = signIn
        self.timeout = timeout
        queue = DispatchQueue(label: "aadkerb.drs.\(host)")
    }

    deinit { kept?.rpc.close() }

    var counts: Counts { queue.sync { counted } }

    /// Test hook: what a DC that drops an idle connection does to the kept one.
    func shutDownKeptConnection() { queue.sync { kept?.rpc.shutDown() } }

    /// The account's keys, as `DRSSecretReader.readKeys` reads them.
    public func readKeys(objectDN: String) async throws -> ReplicatedKerberosKeys {
        try await DRSSecretReader.run(on: queue, host: host, signIn: signIn, objectDN: objectDN) { cancellation in
            try self.read(objectDN, deadline: .now + self.timeout, cancellation: cancellation)
        }
    }

    private func read(_ objectDN: String, deadline: ContinuousClock.Instant, cancellation: CancellationSwitch) throws -> ReplicatedKerberosKeys {
        var session = Session(host: host, port: port, deadline: deadline, cancellation: cancellation)
        session.fragmentSize = fragmentSize
        session.kdcTimeout = kdcTimeout

        if let drs = kept {
            kept = nil
            if ContinuousClock.now - drs.lastUsed < maxIdle {
                var reply: [UInt8]?
                do {
                    try drs.rpc.rearm(deadline: deadline, cancellation: cancellation)
                    reply = try session.getNCChanges(drs, objectDN: objectDN)
                } catch let RPCError.transport(t) where Self.lost(t) {
                    drsLog.debug("the kept DRSUAPI connection is closed; connecting again", metadata: ["host": "\(host)", "why": "\(t)"])
                    drs.rpc.close()
                } catch {
                    drs.rpc.close()
                    throw session.mapped(error, .getNCChanges)
                }
                if let reply {
                    kept = drs  // a whole exchange: the connection is good whatever the reply says
                    counted.reused += 1
                    return try session.keys(drs, reply: reply, objectDN: objectDN)
                }
            } else {
                drs.rpc.close()
            }
        }

        let signedIn: Session.SignedIn
        if let credentials, ContinuousClock.now - credentials.since < maxCredentialAge {
            signedIn = credentials.signedIn
        } else {
            credentials = nil
            signedIn = try session.signIn(signIn)
            counted.signIns += 1
        }
        let drs: Session.OpenDRS
        if let known = port ?? drsPort {
            do {
                drs = try open(session, signedIn, port: known)
            } catch let error as DRSError where error.step == .connect && port == nil {
                // the port the endpoint mapper named before is closed (the DC restarted?): ask again
                drsPort = nil
                drs = try open(session, signedIn, port: try lookUp(session))
            }
        } else {
            drs = try open(session, signedIn, port: try lookUp(session))
        }
        if credentials == nil { credentials = (signedIn, .now) }  // kept once it has signed in
        let keys = try withExtendedLifetime(signedIn) { try session.keys(drs, objectDN: objectDN) }
        kept = drs
        return keys
    }

    private func lookUp(_ session: Session) throws -> UInt16 {
        let found = try session.endpoint()
        counted.lookups += 1
        drsPort = found
        return found
    }

    private func open(_ session: Session, _ signedIn: Session.SignedIn, port: UInt16) throws -> Session.OpenDRS {
        let drs = try session.open(signedIn, signIn: signIn, port: port)
        counted.connections += 1
        return drs
    }

    /// The peer closed or reset the connection: worth one new connection. A timeout is not (the
    /// read's time is spent), nor a cancellation.
    static func lost(_ error: TransportError) -> Bool {
        switch error {
        case .closed, .io: true
        default: false
        }
    }
}
