import Foundation

/// What aadkerb does before anything else, since it may hold a password with replication rights
/// and the krbtgt key: no core dump (RLIMIT_CORE 0), not dumpable (no same-user ptrace or
/// /proc/<pid>/mem), and the secret environment variables taken out of the environment
/// (/proc/<pid>/environ) once read into the process. Runs while the process is single-threaded.
enum ProcessHardening {
    /// The variables that carry secrets: kept here, removed from the environment.
    static let secretVariables = ["AADKERB_DOMAIN_PASSWORD", "AADKERB_CLIENT_SECRET", "AADKERB_ACCESS_TOKEN"]

    /// The environment as read once at the start, secrets included (written by `apply` while the
    /// process is single-threaded, only read after). Foundation builds a new dictionary from
    /// environ on every `ProcessInfo.environment`; aadkerb never changes its environment but to
    /// remove the secret variables, so one read serves the whole run.
    nonisolated(unsafe) private static var snapshot: [String: String]?

    static func apply() {
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        _ = setrlimit(Int32(RLIMIT_CORE.rawValue), &none)
        _ = prctl(4 /* PR_SET_DUMPABLE */, 0, 0, 0, 0)
        snapshot = ProcessInfo.processInfo.environment
        for name in secretVariables {
            // /proc/<pid>/environ shows the original block, which unsetenv leaves as it was: zero
            // the value where it lies, then drop the variable
            if let pointer = getenv(name) { explicit_bzero(pointer, strlen(pointer)) }
            unsetenv(name)
        }
    }

    /// glibc's prctl, which Swift's Glibc module does not export (variadic; its five
    /// arguments are passed as integers, as the system call takes them).
    private static let prctl: @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32 = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "prctl") else { return { _, _, _, _, _ in -1 } }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32).self)
    }()

    /// The environment as aadkerb was started with it, secrets included.
    static var environment: [String: String] {
        snapshot ?? ProcessInfo.processInfo.environment
    }
}
