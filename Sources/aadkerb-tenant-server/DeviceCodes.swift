import Foundation

/// The device authorization grant (RFC 8628) as the emulator plays it: a person "signs in" by
/// approving the user code through `POST /_emulator/device/approve` (what a browser sign-in page
/// would do), naming a user registered in the clients file.
actor DeviceCodes {
    struct Pending: Sendable {
        let tenant: String
        let clientID: String
        let userCode: String
        let expires: Date
        var lastPoll: Date?
        var approvedAs: ClientRegistry.User?
        var denied = false
    }

    enum PollResult {
        case pending, slowDown, expired, denied, unknown
        case approved(ClientRegistry.User)
    }

    private var codes: [String: Pending] = [:]
    let interval: Int
    let lifetime: TimeInterval

    init(interval: Int, lifetime: TimeInterval = 900) {
        self.interval = interval
        self.lifetime = lifetime
    }

    /// Drops codes past their lifetime, whether or not anyone polls them (memory stays bounded).
    func sweep(now: Date = Date()) { codes = codes.filter { $0.value.expires >= now } }

    var count: Int { codes.count }

    func tenant(ofUserCode userCode: String) -> String? { codes.values.first { $0.userCode == userCode }?.tenant }

    func start(tenant: String, clientID: String) -> (deviceCode: String, userCode: String) {
        sweep()
        let alphabet = Array("BCDFGHJKLMNPQRSTVWXZ")
        let userCode = String((0..<8).map { _ in alphabet.randomElement()! }).enumerated()
            .map { $0.offset == 4 ? "-\($0.element)" : String($0.element) }.joined()
        let deviceCode = UUID().uuidString + UUID().uuidString
        codes[deviceCode] = Pending(tenant: tenant, clientID: clientID, userCode: userCode,
                                    expires: Date().addingTimeInterval(lifetime))
        return (deviceCode, userCode)
    }

    func poll(deviceCode: String, tenant: String, clientID: String) -> PollResult {
        guard var p = codes[deviceCode], p.tenant == tenant, p.clientID == clientID else { return .unknown }
        let now = Date()
        if now > p.expires { codes[deviceCode] = nil; return .expired }
        if p.denied { codes[deviceCode] = nil; return .denied }
        if let user = p.approvedAs { codes[deviceCode] = nil; return .approved(user) }
        defer { p.lastPoll = now; codes[deviceCode] = p }
        if let last = p.lastPoll, now.timeIntervalSince(last) < Double(interval) * 0.8 { return .slowDown }
        return .pending
    }

    func pendingUserCodes() -> [String] { sweep(); return codes.values.filter { $0.approvedAs == nil && !$0.denied }.map(\.userCode) }

    /// Approves (or denies) the code; false when no such code is pending.
    func decide(userCode: String, user: ClientRegistry.User?) -> Bool {
        guard let key = codes.first(where: { $0.value.userCode == userCode })?.key else { return false }
        if let user { codes[key]?.approvedAs = user } else { codes[key]?.denied = true }
        return true
    }
}
