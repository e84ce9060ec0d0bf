import Foundation
import Logging
import Basics

/// `-v`/`-vv` on stderr and `--log-file`: one structured trace for the whole process. Libraries
/// log under aadkerb.ldap, aadkerb.tenant and aadkerb.drs at debug level with names, URIs, DNs,
/// statuses and timings only; nothing that carries a secret (passwords, tokens, keys, attribute
/// values written) is ever handed to a logger.
enum Diagnostics {
    /// Identifies one run in the trace (and in the tenant's logs, beside each client-request-id).
    static let runID = UUID().uuidString.lowercased()
    static let log = Logger(label: "aadkerb")

    /// Sets up logging once, before any logger is made. `verbosity` counts -v flags.
    static func bootstrap(verbosity: Int, logFile: String?) throws {
        let stderrLevel: Logger.Level? = switch verbosity {
        case 0: nil
        case 1: .info
        case 2: .debug
        default: .trace
        }
        var file: FileSink?
        var failure: CLIError?
        if let logFile {
            let fd = open(logFile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
            if fd >= 0 {
                file = FileSink(fd: fd)
            } else {
                let reason = errno == ELOOP ? "it is a symbolic link" : String(cString: strerror(errno))
                failure = CLIError.unreadable("cannot open the log file \(logFile): \(reason)")
            }
        }
        // bootstrapped even when the log file fails: swift-log's default handler would otherwise
        // print raw lines on stderr without -v
        let sinks = (stderr: stderrLevel, file: file)
        LoggingSystem.bootstrap { label in TraceHandler(label: label, stderrLevel: sinks.stderr, file: sinks.file) }
        if let failure { throw failure }
    }
}

/// An append-only file descriptor shared by every logger; one write(2) per line.
final class FileSink: @unchecked Sendable {
    let fd: Int32
    private let lock = NSLock()
    init(fd: Int32) { self.fd = fd }
    func write(_ line: String) {
        var bytes = Array((line + "\n").utf8)
        lock.lock()
        defer { lock.unlock() }
        _ = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }
}

struct TraceHandler: LogHandler {
    let label: String
    let stderrLevel: Logger.Level?
    let file: FileSink?
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level

    init(label: String, stderrLevel: Logger.Level?, file: FileSink?) {
        self.label = label
        self.stderrLevel = stderrLevel
        self.file = file
        // the more detailed of the two sinks decides what is produced at all
        logLevel = [stderrLevel, file == nil ? nil : .debug].compactMap { $0 }.min() ?? .critical
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let (level, message) = (event.level, event.message)
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        if let stderrLevel, level >= stderrLevel {
            let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            let component = label == "aadkerb" ? "" : " \(label.replacingOccurrences(of: "aadkerb.", with: "")):"
            FileHandle.standardError.write(Data("aadkerb[\(level)]\(component) \(message)\(fields.isEmpty ? "" : " " + fields)\n".utf8))
        }
        if let file, level >= .debug {
            var object: [String: String] = ["time": Self.timestamp(), "level": "\(level)", "component": label,
                                            "message": "\(message)", "run": Diagnostics.runID]
            for (key, value) in all where object[key] == nil { object[key] = "\(value)" }
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) {
                file.write(String(decoding: data, as: UTF8.self))
            }
        }
    }

    static func timestamp() -> String { ISO8601.string(Date(), fractional: true) }
}
