import Foundation
import LDAPClient
import TenantAPI
import Basics

/// The AES-256 keys a DC holds for an account: the current one and the one before it.
public struct AccountKeys: Sendable {
    public var current: Secret
    public var previous: Secret?
    public init(current: Secret, previous: Secret?) {
        self.current = current
        self.previous = previous
    }
}

/// Reads the keys a DC holds for an account (the DC makes krbtgt keys itself; aadkerb reads them
/// as a replicating DC would: docs/key-material.md).
public protocol AccountKeyReader: Sendable {
    func keys(accountDN: String) async throws -> AccountKeys
}

/// When `rotate` may rotate (docs/rotation.md).
public struct RotationPolicy: Sendable {
    /// Rotate only when the current key is at least this old (seconds); nil: always due.
    public var minimumAge: TimeInterval?
    /// A second rotation within this time of the last would invalidate tickets still in use
    /// under the previous key: refused unless `force`. Default: 10 h ticket lifetime + 5 min skew.
    public var ticketLifetime: TimeInterval = 10 * 3600 + 300
    public var force = false
    /// Take over another run's unexpired lease (when that run is known to be dead).
    public var breakLease = false
    /// How long a run's lease keeps other runs off before they may take it over.
    public var leaseDuration: TimeInterval = 15 * 60
    /// How long to wait for the other writable DCs to hold the new key (seconds); 0: do not wait.
    public var convergenceTimeout: TimeInterval = 120
    public var dryRun = false
    /// Hosts that DNS (SRV) names as DCs. Those the directory does not list are reported as not
    /// trusted and never signed in to (`DirectoryDC`); the directory's writable DCs are waited for.
    public var dnsDCs: [String] = []
    public init() {}
}

/// The outcome of `rotate`, with the state before and after.
public struct RotationResult: Sendable {
    public enum Outcome: String, Sendable {
        /// A new key on both sides.
        case rotated = "Rotated"
        /// An interrupted rotation was finished: the DC's key published, no new key made.
        case completed = "Completed"
        /// The tenant's key was missing or not the DC's: the DC's current key was published.
        case repaired = "Repaired"
        /// The DC holds a new key that not every writable DC holds yet: nothing published (the
        /// cloud would issue tickets some DCs refuse). The lease stays on the tenant object, handed
        /// on: the next run publishes once the DCs have converged.
        case pending = "Pending"
        /// Not due (--min-age).
        case skipped = "Skipped"
        /// Refused: too soon after the last rotation, or another run holds the lease.
        case refused = "Refused"
    }
    public struct KeyState: Sendable, Equatable {
        public var kvno: Int64?
        public var keyVersion: Int64?
        public var keyUpdatedOn: Date?
        public var cloudKvno: Int64?
    }
    public var outcome: Outcome
    public var reason: RotationReason
    /// Planned only (`RotationPolicy.dryRun`): nothing was changed.
    public var dryRun = false
    public var before: KeyState
    public var after: KeyState?
    public var domainControllers: [DCKeyState] = []
    public var steps: [Step] = []
}

/// Why `rotate` ended as it did (the CLI words it; docs/rotation.md's tables).
public enum RotationReason: Sendable, Equatable {
    /// A new key on both sides.
    case rotated(from: Int64, to: Int64)
    /// A rotation is due (dry run).
    case wouldRotate(from: Int64)
    /// An interrupted rotation was finished: the DC already held `kvno` and the tenant its previous key.
    case finishedInterrupted(kvno: Int64)
    /// The tenant's key (`tenantKvno`; nil: none) was not the DC's current key `kvno`: the DC's was published.
    case publishedDCKey(tenantKvno: Int64?, kvno: Int64)
    /// The DC's current key `kvno` is not on every writable DC yet: not published. `newKey`: this
    /// run made it (the tenant keeps `kept`, which every DC holds); else an earlier run did.
    case notReplicated(kvno: Int64, lagging: [DCKeyState], newKey: Bool, kept: Int64?)
    /// The key is younger than the policy's minimum age.
    case notDue(age: TimeInterval, minimumAge: TimeInterval)
    /// The key changed within the ticket lifetime: another rotation would invalidate tickets in use.
    case withinTicketLifetime(age: TimeInterval, lifetime: TimeInterval)
    /// Another run holds an unexpired lease.
    case leaseHeld(RotationLease)
    /// Another run took the lease while this one was publishing `kvno`; it publishes the key itself.
    case leaseTakenWhilePublishing(RotationLease, kvno: Int64)
    /// Another run changed the tenant object while this one took the lease; nothing was changed.
    case leaseRaceLost
}

public enum RotationError: Error, Sendable, Equatable, CustomStringConvertible {
    case notConfigured(domain: String, problems: [String])
    case cloudMissing(domain: String)
    case kvnoDidNotAdvance(dn: String, before: Int64, after: Int64?)
    /// After the reset, the DC's previous key (of `dn`) is not the key the tenant holds: not published.
    case previousKeyNotTheTenants(dn: String)
    /// The tenant object changed while `kvno` was being published, and does not hold it.
    case tenantChanged(domain: String, kvno: Int64, duringRotation: Bool)

    /// What happened, without advice (the CLI adds what to run).
    public var description: String {
        switch self {
        case let .notConfigured(domain, problems):
            return "the Azure AD Kerberos server of \(domain) is not complete"
                + (problems.isEmpty ? "" : " (\(problems.joined(separator: "; ")))")
        case let .cloudMissing(domain):
            return "the tenant has no KerberosDomain for \(domain)"
        case let .kvnoDidNotAdvance(dn, before, after):
            return "\(dn): msDS-KeyVersionNumber did not advance after the key reset (was \(before), now \(after.map(String.init) ?? "unreadable"))"
        case let .previousKeyNotTheTenants(dn):
            return "\(dn): after the reset, the DC's previous key is not the key the tenant holds; not publishing"
        case let .tenantChanged(domain, kvno, duringRotation):
            return duringRotation
                ? "\(domain): the tenant object changed during the rotation and does not hold the new key (kvno \(kvno))"
                : "\(domain): the tenant object changed while this run was publishing kvno \(kvno), and does not hold it"
        }
    }
}

/// `aadkerb rotate`: a new key on both sides, in an order that never leaves the cloud issuing
/// tickets under a key the DCs do not hold (docs/rotation.md):
///
/// 1. read both sides; if the tenant's key is not the DC's current key, publish the DC's key and
///    stop (finishing an interrupted rotation: no new key is made, so no third key appears);
/// 2. policy: --min-age, the ticket-lifetime guard, the lease of another run;
/// 3. take the lease (If-Match on the tenant object);
/// 4. reset the krbtgt account's password: the DC makes a new random key (kvno + 1) and keeps the
///    old one as previous, which is the tenant's current key, so the cloud stays valid;
/// 5. wait (bounded) until the other writable DCs hold the new key;
/// 6. read the new key from the DC and publish it (If-Match on the lease's ETag), releasing the lease.
public struct KeyRotator: Sendable {
    public let connection: any DirectoryConnection
    public let objects: KerberosServerObjects
    public let cloud: any KerberosDomainStore
    public let keyReader: any AccountKeyReader
    public let policy: RotationPolicy
    /// Connects to another DC of the domain, one the directory lists (for the convergence report).
    public let connectToDC: (@Sendable (DirectoryDC) async throws -> any DirectoryConnection)?
    /// Told each round of the wait for the DCs, with every DC's state.
    public var progress: (@Sendable ([DCKeyState]) -> Void)?
    let now: @Sendable () -> Date
    /// Pauses between two polls of the DCs (a test's clock replaces it).
    var sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }

    public init(connection: any DirectoryConnection, domain: DomainName, cloud: any KerberosDomainStore, keyReader: any AccountKeyReader,
                policy: RotationPolicy, connectToDC: (@Sendable (DirectoryDC) async throws -> any DirectoryConnection)? = nil,
                now: @escaping @Sendable () -> Date = Date.init) {
        self.connection = connection
        objects = KerberosServerObjects(domain: domain)
        self.cloud = cloud
        self.keyReader = keyReader
        self.policy = policy
        self.connectToDC = connectToDC
        self.now = now
    }

    public func run() async throws -> RotationResult {
        let onPrem = try await OnPremReader(connection: connection, domain: objects.domain).read()
        guard onPrem.status == .configured, let krbtgtDN = onPrem.userAccount, let kvno = onPrem.kvno else {
            throw RotationError.notConfigured(domain: objects.domain.value, problems: onPrem.problems)
        }
        guard let (twin, etag) = try await cloud.read(domain: objects.domain.value) else {
            throw RotationError.cloudMissing(domain: objects.domain.value)
        }
        let before = RotationResult.KeyState(kvno: kvno, keyVersion: onPrem.keyVersion, keyUpdatedOn: onPrem.keyUpdatedOn,
                                             cloudKvno: twin.currentKey?.kvno)
        // Another run is at work (its lease has not expired): keep off, whatever state it left.
        if let lease = twin.rotation, let expires = ISO8601.date(lease.expiresOn), expires > now(), !policy.breakLease {
            return RotationResult(outcome: .refused, reason: .leaseHeld(lease), before: before)
        }
        let held = try await keyReader.keys(accountDN: krbtgtDN)

        // 1. The tenant must hold the DC's current key before a new one is made; it is published
        //    only once every writable DC holds it.
        if twin.currentKey?.checkValue != KeyEnvelope.checkValue(held.current) {
            let interrupted = held.previous.map { twin.currentKey?.checkValue == KeyEnvelope.checkValue($0) } ?? false
            let reason: RotationReason = interrupted ? .finishedInterrupted(kvno: kvno) : .publishedDCKey(tenantKvno: twin.currentKey?.kvno, kvno: kvno)
            var result = RotationResult(outcome: interrupted ? .completed : .repaired, reason: reason, before: before)
            result.steps.append(Step(.onPrem, "Wait", objects.domain.value, "until every writable DC holds kvno \(kvno) (at most \(Self.duration(policy.convergenceTimeout)))"))
            result.steps.append(Step(.cloud, "Publish", objects.domain.value, "key kvno \(kvno) (the DC's current key), KeyVersion \(onPrem.keyVersion ?? 0)"))
            if policy.dryRun { result.dryRun = true; return result }
            result.domainControllers = try await waitForConvergence(krbtgtDN: krbtgtDN, kvno: kvno, connectedDC: onPrem.server)
            if let lagging = Self.lagging(result.domainControllers) {
                // a lease this run broke (--break-lease) is handed on like its own, so the next run may finish
                if let lease = twin.rotation, let expires = ISO8601.date(lease.expiresOn), expires > now() {
                    var handedOn = twin
                    handedOn.rotation?.expiresOn = ISO8601.string(now())
                    _ = try? await cloud.write(handedOn, ifMatch: etag, newKey: nil)
                }
                result.outcome = .pending
                result.reason = .notReplicated(kvno: kvno, lagging: lagging, newKey: false, kept: nil)
                return result
            }
            do {
                try await publish(onPrem, key: held.current, kvno: kvno, to: twin, ifMatch: etag)
            } catch is StoreConflict {
                // another run published meanwhile: fine if the tenant now holds this key
                let latest = try await cloud.read(domain: objects.domain.value)?.0
                if latest?.currentKey?.checkValue != KeyEnvelope.checkValue(held.current) {
                    // Two runs at once (two hosts' timers): this one read the tenant before the
                    // other took its lease, and the DC's keys after the other reset them. The other
                    // run is rotating: keep off, as when its lease is seen first.
                    if let lease = latest?.rotation, let expires = ISO8601.date(lease.expiresOn), expires > now() {
                        return RotationResult(outcome: .refused, reason: .leaseTakenWhilePublishing(lease, kvno: kvno), before: before)
                    }
                    throw RotationError.tenantChanged(domain: objects.domain.value, kvno: kvno, duringRotation: false)
                }
            }
            result.after = RotationResult.KeyState(kvno: kvno, keyVersion: onPrem.keyVersion, keyUpdatedOn: onPrem.keyUpdatedOn, cloudKvno: kvno)
            return result
        }

        // 2. Policy.
        let age = onPrem.keyUpdatedOn.map { now().timeIntervalSince($0) } ?? .infinity
        if let minimumAge = policy.minimumAge, age < minimumAge {
            return RotationResult(outcome: .skipped, reason: .notDue(age: age, minimumAge: minimumAge), before: before)
        }
        if age < policy.ticketLifetime && !policy.force {
            return RotationResult(outcome: .refused, reason: .withinTicketLifetime(age: age, lifetime: policy.ticketLifetime), before: before)
        }

        var result = RotationResult(outcome: .rotated, reason: .wouldRotate(from: kvno), before: before)
        result.steps = [
            Step(.cloud, "Lease", objects.domain.value, "rotation lease for \(Self.duration(policy.leaseDuration))"),
            Step(.onPrem, "ResetKey", krbtgtDN, "unicodePwd reset: the DC makes a new key (kvno \(kvno) -> \(kvno + 1)) and keeps kvno \(kvno) as previous"),
            Step(.onPrem, "Wait", objects.domain.value, "until every writable DC holds the new key (at most \(Self.duration(policy.convergenceTimeout)))"),
            Step(.cloud, "Publish", objects.domain.value, "the new key, sealed to the tenant; the tenant keeps kvno \(kvno) as previous"),
        ]
        if policy.dryRun { result.dryRun = true; return result }

        // 3. The lease.
        var leased = twin
        leased.rotation = RotationLease(
            id: UUID().uuidString, holder: "\(ProcessInfo.processInfo.hostName) pid \(getpid())",
            startedOn: ISO8601.string(now()), expiresOn: ISO8601.string(now().addingTimeInterval(policy.leaseDuration)), fromKvno: kvno)
        let leaseETag: String
        do {
            leaseETag = try await cloud.write(leased, ifMatch: etag, newKey: nil)
        } catch is StoreConflict {
            return RotationResult(outcome: .refused, reason: .leaseRaceLost, before: before)
        }

        // 4. The new key, made by the DC.
        try await connection.modify(krbtgtDN, [LDAPModification(.replace, "unicodePwd", values: [Self.randomPasswordValue()])])
        let after = try await OnPremReader(connection: connection, domain: objects.domain).read()
        guard let newKvno = after.kvno, newKvno > kvno else {
            throw RotationError.kvnoDidNotAdvance(dn: krbtgtDN, before: kvno, after: after.kvno)
        }

        // 5. The other writable DCs. If one still lacks the new key when --wait runs out, do not
        //    publish: hand the lease on (expired at once, so the next run may finish) and say which.
        result.domainControllers = try await waitForConvergence(krbtgtDN: krbtgtDN, kvno: newKvno, connectedDC: after.server)
        if let lagging = Self.lagging(result.domainControllers) {
            var handedOn = leased
            handedOn.rotation?.expiresOn = ISO8601.string(now())
            _ = try? await cloud.write(handedOn, ifMatch: leaseETag, newKey: nil)  // best effort: the lease expires anyway
            result.outcome = .pending
            result.reason = .notReplicated(kvno: newKvno, lagging: lagging, newKey: true, kept: kvno)
            result.after = RotationResult.KeyState(kvno: newKvno, keyVersion: after.keyVersion, keyUpdatedOn: after.keyUpdatedOn, cloudKvno: kvno)
            return result
        }

        // 6. Publish the DC's new key; its previous must be the key the tenant holds.
        let fresh = try await keyReader.keys(accountDN: krbtgtDN)
        guard let previous = fresh.previous, KeyEnvelope.checkValue(previous) == KeyEnvelope.checkValue(held.current) else {
            throw RotationError.previousKeyNotTheTenants(dn: krbtgtDN)
        }
        do {
            try await publish(after, key: fresh.current, kvno: newKvno, to: leased, ifMatch: leaseETag)
        } catch is StoreConflict {
            // Someone else wrote meanwhile (e.g. `set` finishing what it took for an interrupted
            // rotation). Fine if the tenant now holds this key; otherwise say so.
            let latest = try await cloud.read(domain: objects.domain.value)
            guard latest?.0.currentKey?.checkValue == KeyEnvelope.checkValue(fresh.current) else {
                throw RotationError.tenantChanged(domain: objects.domain.value, kvno: newKvno, duringRotation: true)
            }
        }
        result.after = RotationResult.KeyState(kvno: newKvno, keyVersion: after.keyVersion, keyUpdatedOn: after.keyUpdatedOn, cloudKvno: newKvno)
        result.reason = .rotated(from: kvno, to: newKvno)
        return result
    }

    /// Writes the metadata of `onPrem` and the key to the tenant; clears any lease.
    func publish(_ onPrem: OnPremKerberosServer, key: Secret, kvno: Int64, to twin: KerberosDomain, ifMatch: String) async throws {
        var value = twin
        value.copyMetadata(from: onPrem)
        value.rotation = nil
        try await cloud.write(value, ifMatch: ifMatch, newKey: (key, kvno))
    }

    /// Polls the writable DCs of the directory for the krbtgt account's kvno until all hold `kvno`
    /// or the timeout passes, paced by `ConvergencePacing`. Hosts that only DNS names are
    /// reported, not asked. Each other DC is connected to once for the whole wait (the connection
    /// kept between polls, closed when the wait ends); one that could not be reached is connected
    /// to afresh at the next poll.
    func waitForConvergence(krbtgtDN: String, kvno: Int64, connectedDC: String?) async throws -> [DCKeyState] {
        let deadline = now().addingTimeInterval(policy.convergenceTimeout)
        let directory = try await DomainControllers.all(connection: connection, objects: objects)
        let dnsOnly = DomainControllers.notInDirectory(policy.dnsDCs, directory: directory).map { DCKeyState.dnsOnly($0) }
        // the account as the connected DC has it, read once: DomainControllers.keyVersions
        let guid = try await connection.read(krbtgtDN, attributes: ["objectGUID"])?.bytes("objectGUID")
        let pool = connectToDC.map { DCConnections(connect: $0) }
        var connect: (@Sendable (DirectoryDC) async throws -> any DirectoryConnection)?
        if let pool { connect = { dc in try await pool.connection(to: dc) } }
        var pacing = ConvergencePacing(started: now(), deadline: deadline)
        while true {
            let polled = now()
            let states = try await DomainControllers.keyVersions(
                connection: connection, objects: objects, accountDN: krbtgtDN, accountGUID: guid, connectedDC: connectedDC,
                connectToDC: connect, expected: kvno, dcs: directory.filter(\.writable))
            let all = (states + dnsOnly).sorted { $0.name < $1.name }
            if states.allSatisfy({ $0.converged || !$0.retryable }) { return all }
            if pacing.deadlinePassed(at: now()) { return all }
            if pacing.reportDue() { progress?(all) }
            await pool?.forget(states.filter { !$0.answered }.map(\.name))
            let rest = pacing.pause(pollStarted: polled, now: now())
            if rest > .zero { try await sleep(rest) }
        }
    }

    /// The directory's DCs that do not hold the key (unreachable ones included); nil when every
    /// one does. Hosts only DNS names do not count: they are not DCs the directory knows, and they
    /// are never asked.
    static func lagging(_ states: [DCKeyState]) -> [DCKeyState]? {
        let behind = states.filter { $0.trusted && !$0.converged }
        return behind.isEmpty ? nil : behind
    }

    /// A fresh 120-character password from the system CSPRNG, as unicodePwd wants it (quoted,
    /// UTF-16LE). The DC replaces a krbtgt account's password with its own random one anyway.
    static func randomPasswordValue() -> [UInt8] {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:+=!")
        var generator = SystemRandomNumberGenerator()
        let password = "\"" + String((0..<120).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }) + "\""
        return Array(password.utf16).flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }
    }

    public static func duration(_ seconds: TimeInterval) -> String {
        guard seconds.isFinite else { return "unknown" }
        let s = Int(seconds.rounded())
        if s >= 86400 { return "\(s / 86400)d \((s % 86400) / 3600)h" }
        if s >= 3600 { return "\(s / 3600)h \((s % 3600) / 60)m" }
        if s >= 60 { return "\(s / 60)m \(s % 60)s" }
        return "\(s)s"
    }
}

/// The connections to the other DCs during one wait: one per DC, made when first asked for and
/// kept until the wait ends (released with this object: LDAPConnection unbinds on deinit).
actor DCConnections {
    let connect: @Sendable (DirectoryDC) async throws -> any DirectoryConnection
    private var open: [String: any DirectoryConnection] = [:]

    init(connect: @escaping @Sendable (DirectoryDC) async throws -> any DirectoryConnection) {
        self.connect = connect
    }

    func connection(to dc: DirectoryDC) async throws -> any DirectoryConnection {
        if let kept = open[dc.name] { return kept }
        let made = try await connect(dc)
        open[dc.name] = made
        return made
    }

    /// Drops the connections to these DCs (they did not answer): the next poll connects again.
    func forget(_ names: [String]) {
        for name in names { open[name] = nil }
    }
}

/// A conditional write lost: the object changed (or appeared) since it was read. Stores throw
/// it for If-Match / If-None-Match failures so the core can tell a race from a failure.
public struct StoreConflict: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// When rotate's convergence wait polls the DCs again, and when it tells its progress.
///
/// Pauses: 0.2 s, 0.4 s, then 0.5 s while the wait is younger than `quickPeriod`, then
/// `longestPause`. Replication of the reset between the two Samba test DCs of a site took
/// 1.6-4 s (docs/performance.md), so a fixed 2 s step overshot by up to 2 s; a Windows DC notifies
/// its site's partners ~15 s after a change, where the step matters little. With the connections
/// kept, a poll is one read per DC. A pause counts from the start of the poll before it, so polls
/// keep their pace whatever a poll takes; the last one is cut so that the last poll falls on the
/// deadline. Progress is due after the first poll, then at most every `longestPause`.
struct ConvergencePacing {
    static let firstPause: Duration = .milliseconds(200)
    static let quickPause: Duration = .milliseconds(500)
    static let quickPeriod: TimeInterval = 5
    static let longestPause: Duration = .seconds(2)

    let started: Date
    let deadline: Date
    private var previous: Duration?
    /// Time since progress was last told; nil before the first report.
    private var sinceReport: Duration?

    init(started: Date, deadline: Date) {
        self.started = started
        self.deadline = deadline
    }

    /// The pause that follows a poll: before `quickPeriod`, doubling from `firstPause` up to
    /// `quickPause`; then `longestPause`.
    static func pause(after previous: Duration?, elapsed: TimeInterval) -> Duration {
        guard let previous else { return firstPause }
        return elapsed < quickPeriod ? min(previous * 2, quickPause) : longestPause
    }

    /// Whether the wait is over: the poll just made was the last.
    func deadlinePassed(at now: Date) -> Bool { deadline.timeIntervalSince(now) <= 0 }

    /// How long to sleep after a poll that started at `pollStarted`, now that it has ended: the
    /// next pause less the poll's own time, never past the deadline.
    mutating func pause(pollStarted: Date, now: Date) -> Duration {
        let next = Self.pause(after: previous, elapsed: now.timeIntervalSince(started))
        previous = next
        let spent = Duration.seconds(max(0, now.timeIntervalSince(pollStarted)))
        let left = Duration.seconds(max(0, deadline.timeIntervalSince(now)))
        let rest = max(min(next - spent, left), .zero)
        sinceReport = (sinceReport ?? .zero) + spent + rest
        return rest
    }

    /// Whether to tell the progress of the poll just made: after the first poll, then once
    /// `longestPause` has passed since the last time.
    mutating func reportDue() -> Bool {
        if let since = sinceReport, since < Self.longestPause { return false }
        sinceReport = .zero
        return true
    }
}
