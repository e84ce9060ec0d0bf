import Foundation

/// Fault injection for tests (only with --enable-fault-injection): `POST /_emulator/faults` adds a
/// rule, `DELETE /_emulator/faults` clears them. A rule matches requests by method and path
/// prefix, lets `skip` of them through, then applies to the next `times`: a delay, then an error
/// status with an optional Retry-After (or a redirect's Location), or a dropped connection.
struct FaultRule: Codable, Sendable {
    var method: String?
    var pathPrefix: String?
    var skip: Int?
    var times: Int?
    var status: Int?
    var retryAfter: Int?
    var delayMs: Int?
    /// Close the connection without answering.
    var drop: Bool?
    /// With a 3xx `status`: the Location header (a redirect, to test that clients refuse it).
    var location: String?
}

actor Faults {
    private var rules: [FaultRule] = []

    func add(_ rule: FaultRule) { rules.append(rule) }
    func clear() { rules = [] }

    /// The rule that applies to this request, if any (consuming one of its uses).
    func take(method: String, path: String) -> FaultRule? {
        for i in rules.indices {
            let r = rules[i]
            if let m = r.method, m.uppercased() != method.uppercased() { continue }
            if let p = r.pathPrefix, !path.hasPrefix(p) { continue }
            if let skip = r.skip, skip > 0 {
                rules[i].skip = skip - 1
                continue
            }
            let times = r.times ?? 1
            if times <= 1 { rules.remove(at: i) } else { rules[i].times = times - 1 }
            return r
        }
        return nil
    }
}
