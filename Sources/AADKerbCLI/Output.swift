import AADKerbCore
import ArgumentParser
import Foundation
import TenantAPI
import Basics

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table
    case json
    /// The Nagios/Icinga plugin convention: one status line with perfdata, exit 0/1/2/3 (get, doctor, verify).
    case nagios
    /// Prometheus's text exposition format, for node_exporter's textfile collector (get, doctor, verify).
    case prometheus

    var isMonitoring: Bool { self == .nagios || self == .prometheus }
}

struct OutputOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "Output format: table (for people), json (stable schema, docs/json-output.md), or for get, doctor and verify nagios (a plugin's status line and exit 0-3) or prometheus (textfile collector metrics); docs/monitoring.md.")
    var output: OutputFormat = .table

    @Flag(name: .shortAndLong, help: "Say more on stderr: -v the run and each domain's outcome, -vv every LDAP, DRSUAPI and tenant request (names, DNs, statuses, timings; never secrets).")
    var verbose: Int

    @Option(help: ArgumentHelp("Append a structured trace (JSON lines with time, level, component, run id; no secrets) to this file, created mode 0600. Also AADKERB_LOG_FILE.", valueName: "file"), completion: .file())
    var logFile: String?
}

enum Terminal {
    static func writeOut(_ text: String) {
        FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    static func writeErr(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }
}

enum JSON {
    static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(iso8601(date))
        }
        // Encoding our own plain structs cannot fail.
        return String(decoding: collapsingEmptyArrays(Array(try! encoder.encode(value))), as: UTF8.self)
    }

    /// Foundation on Linux pretty-prints an empty array as "[\n\n  ]"; this writes "[]". A `[`
    /// followed by white space that holds a line break, then `]`, is always an empty array: a JSON
    /// string cannot hold a raw line break. (A byte scan, not a regular expression: compiling
    /// one cost ICU's regex set-up, ~8 M instructions, on every JSON output.)
    static func collapsingEmptyArrays(_ json: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(json.count)
        var i = 0
        while i < json.count {
            let byte = json[i]
            out.append(byte)
            i += 1
            guard byte == UInt8(ascii: "[") else { continue }
            var j = i, lineBreak = false
            while j < json.count, json[j] == 0x20 || json[j] == 0x0A || json[j] == 0x0D || json[j] == 0x09 {
                lineBreak = lineBreak || json[j] == 0x0A
                j += 1
            }
            if lineBreak, j < json.count, json[j] == UInt8(ascii: "]") {
                out.append(json[j])
                i = j + 1
            }
        }
        return out
    }

    static func iso8601(_ date: Date) -> String { ISO8601.string(date) }
}

/// A two-column "Name  Value" list, like PowerShell's Format-List.
struct KeyValueTable {
    var rows: [(String, String)] = []

    mutating func add(_ name: String, _ value: String?) { rows.append((name, value ?? "-")) }

    var rendered: String {
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + " : " + $0.1 }
            .joined(separator: "\n")
    }
}

/// Runs a command body, reporting failures in one place: a one-line message on stderr (and, for
/// --output json, an error object on stdout), and the exit code from `ExitStatus`. Sets up
/// logging first (-v, --log-file) and traces the run's start and end.
func reportingErrors(_ options: OutputOptions, _ body: () async throws -> ExitStatus) async throws {
    let format = options.output
    let status: ExitStatus
    do {
        try Diagnostics.bootstrap(verbosity: options.verbose,
                                  logFile: options.logFile ?? ProcessHardening.environment["AADKERB_LOG_FILE"].flatMap { $0.isEmpty ? nil : $0 })
        // argv carries no secret by design (passwords, secrets and tokens are files, stdin or env)
        Diagnostics.log.info("start", metadata: ["argv": "\(CommandLine.arguments.dropFirst().joined(separator: " "))",
                                                 "version": "\(AADKerb.version)"])
        status = try await body()
        Diagnostics.log.info("end", metadata: ["exit": "\(status.rawValue)"])
    } catch let error as ExitCode {
        throw error
    } catch {
        let failure = ExitStatus(error)
        Diagnostics.log.info("end", metadata: ["exit": "\(failure.rawValue)", "error": "\(error)"])
        Terminal.writeErr("aadkerb: error: \(errorMessage(error))")
        if format == .nagios {
            var sample = MonitorSample(domain: "aadkerb", command: "")
            sample.error = (failure, errorMessage(error))
            let (line, code) = Monitoring.nagiosOutput([sample], thresholds: .init())
            Terminal.writeOut(line)
            throw ExitCode(code)
        }
        if format == .json {
            struct ErrorOutput: Encodable {
                let Error: String
                let ExitCode: Int32
                let Message: String
            }
            Terminal.writeOut(JSON.encode(ErrorOutput(Error: failure.name, ExitCode: failure.rawValue, Message: errorMessage(error))))
        }
        throw failure.exitCode
    }
    if status != .success { throw status.exitCode }
}
