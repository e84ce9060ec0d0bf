import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// What a child process did: its exit status (128 + the signal when a signal ended it, as a
/// shell reports it), everything it wrote to stdout and stderr, and how long it ran.
public struct ProcessResult: Sendable {
    public var status: Int32
    /// stdout's bytes, for output that must not live in a String (a key an oracle prints):
    /// the caller may wipe them.
    public var output: [UInt8]
    public var errorOutput: [UInt8]
    public var elapsed: Duration

    public var stdout: String { String(decoding: output, as: UTF8.self) }
    public var stderr: String { String(decoding: errorOutput, as: UTF8.self) }
}

/// The one way every test target starts a process: swift-subprocess's `run`, whose Linux spawn
/// gives the child descriptors 0-2 only (`posix_spawn_file_actions_addclosefrom_np(3)`, or
/// close_range after fork), so nothing of the test process (a listener, a pidfd, the socket a
/// runtime watches a child with) leaks into a child or the servers it starts. stdout and stderr
/// are collected whole, in memory, while the child runs, so a full pipe never blocks it; stdin
/// is the given text, or empty.
public enum ChildProcess {
    /// At most this much of each stream is kept; past it the run fails (a runaway child).
    static let outputLimit = 256 << 20

    /// The environment a child gets: this process's, minus aadkerb's own inputs (`AADKERB_*`
    /// except the fixtures' `AADKERB_DC_*` and `AADKERB_TENANT_*`, and `AADKERB_LOG_FILE`, where
    /// scripts/test collects every run's trace), no config file of the machine's user
    /// (`XDG_CONFIG_HOME` points nowhere), tenant key pins in one file of this test process
    /// (`AADKERB_TENANT_KEYS`), then `overrides`. No credential leaks in by accident.
    public static func environment(_ overrides: [String: String] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("AADKERB_") || $0.key.hasPrefix("AADKERB_DC_") || $0.key.hasPrefix("AADKERB_TENANT_")
                || $0.key == "AADKERB_LOG_FILE"
        }
        env["XDG_CONFIG_HOME"] = "/nonexistent/aadkerb-tests"
        env["AADKERB_TENANT_KEYS"] = stateDirectory + "/tenant-keys"
        env.merge(overrides) { $1 }
        return env
    }

    /// A 0700 directory of this test process for aadkerb's state files.
    public static let stateDirectory: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("aadkerb-test-state-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return path
    }()

    /// Runs `executable` to its end.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                           stdin: String? = nil) async throws -> ProcessResult {
        try await start(executable, arguments, environment: environment, stdin: stdin).wait()
    }

    /// Runs `executable`; still running after `deadline`, it is killed (SIGKILL) and the result is nil.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                           stdin: String? = nil, deadline: Duration) async throws -> ProcessResult? {
        try await start(executable, arguments, environment: environment, stdin: stdin).wait(deadline: deadline)
    }

    /// Starts `executable` and returns once it runs (or has already ended): a child to wait for,
    /// or to signal first (a server of a test's own, a run killed midway).
    public static func start(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                             stdin: String? = nil) async throws -> Spawned {
        let env = Self.environment(environment)
        let (started, continuation) = AsyncStream.makeStream(of: pid_t.self)
        let begin = ContinuousClock.now
        let ended = Flag()
        let task = Task<ProcessResult, any Error> {
            defer { continuation.finish(); ended.set() }
            let result = try await Subprocess.run(
                .path(FilePath(executable)), arguments: Arguments(arguments),
                environment: .custom(Dictionary(uniqueKeysWithValues: env.compactMap { key, value in
                    Environment.Key(rawValue: key).map { ($0, value) }
                })),
                input: .string(stdin ?? ""), output: .bytes(limit: outputLimit), error: .bytes(limit: outputLimit)
            ) { execution in
                continuation.yield(execution.processIdentifier.value)
                continuation.finish()
            }
            let status: Int32
            switch result.terminationStatus {
            case .exited(let code): status = code
            case .signaled(let signal): status = 128 + signal
            }
            return ProcessResult(status: status, output: result.standardOutput, errorOutput: result.standardError,
                                 elapsed: ContinuousClock.now - begin)
        }
        for await pid in started {
            return Spawned(pid: pid, task: task, ended: ended)
        }
        // never started: the spawn's error
        _ = try await task.value
        throw SpawnFailure(description: "\(executable) did not start")
    }

    struct SpawnFailure: Error, CustomStringConvertible { let description: String }
}

/// A child started by `ChildProcess.start`: wait for it, or signal it first.
public struct Spawned: Sendable {
    public let pid: pid_t
    let task: Task<ProcessResult, any Error>
    /// Set as soon as the run returned (the child reaped).
    let ended: Flag

    /// Sends `signal`, unless the child has been reaped (its pid may be another's by then).
    /// Without waiting: from a `defer`, say; `wait` collects the result.
    public func kill(_ signal: Int32 = SIGKILL) {
        // not Execution.send: after the run its pidfd is closed, and the descriptor number may be reused
        guard !ended.isSet else { return }
        _ = Glibc.kill(pid, signal)
    }

    /// Waits for the end: status and output.
    public func wait() async throws -> ProcessResult {
        try await task.value
    }

    /// Waits at most `deadline`; a child still running then is killed (SIGKILL) and reported as nil.
    public func wait(deadline: Duration) async throws -> ProcessResult? {
        let fired = Flag()
        let timer = Task {
            do { try await Task.sleep(for: deadline) } catch { return }  // cancelled: the child ended first
            fired.set()
            kill()
        }
        let result = try await task.value
        timer.cancel()
        // the timer fired, but the child may have ended on its own just before the kill
        return fired.isSet && result.status == 128 + SIGKILL ? nil : result
    }
}

/// Set once, read from another task.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
