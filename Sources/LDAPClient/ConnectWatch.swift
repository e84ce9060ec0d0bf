import CLDAP
import Dispatch

/// Owns the C side of the connect watchdog (see shim.h): libldap holds a pointer to it for the
/// handle's lifetime, and a pending timer may still hold it after the connection is gone.
final class ConnectWatch: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<cldap_watch>

    init() {
        guard let p = cldap_watch_new() else { fatalError("out of memory") }
        pointer = p
    }

    deinit { cldap_watch_free(pointer) }

    /// Whether TCP connected at least once (so a later failure is TLS's, not the network's).
    var connected: Bool { cldap_watch_connected(pointer) != 0 }

    /// Runs `body`; if it has not returned by `deadline`, shuts the connection's socket down so
    /// that it returns at once. Returns the result and whether that happened.
    func guarding<T>(deadline: Duration, _ body: () -> T) -> (T, fired: Bool) {
        cldap_watch_arm(pointer)
        let timer = DispatchWorkItem { [self] in cldap_watch_fire(pointer) }
        DispatchQueue.global().asyncAfter(deadline: .now() + deadline.timeInterval, execute: timer)
        let result = body()
        let fired = cldap_watch_disarm(pointer) != 0
        timer.cancel()
        return (result, fired)
    }
}

extension Duration {
    var timeInterval: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    var secondsText: String {
        let t = timeInterval
        return t == t.rounded() ? "\(Int(t)) s" : "\(t) s"
    }
}
