import ArgumentParser
import AADKerbCore
import Foundation

/// What one domain's run produced: its report (JSON and table) and its exit status.
struct DomainResult: Sendable {
    let json: String
    let table: String
    let status: ExitStatus
    /// What monitoring output (nagios, prometheus) reads; nil for commands without it.
    var monitor: MonitorSample?

    init<Report: Encodable>(_ report: Report, table: String, status: ExitStatus) {
        json = JSON.encode(report)
        self.table = table
        self.status = status
    }
}

/// Runs a command over one or several domains. One domain prints its report as before (an
/// object; errors go through `reportingErrors`). Several run concurrently, each to its own end:
/// one domain's failure does not stop the others. JSON is then an array with one element per
/// domain in the order given (the report, or an error object naming the domain), and the exit
/// code combines theirs (`combined`).
enum PerDomain {
    static func run(_ targets: [DomainTarget], format: OutputFormat, alwaysArray: Bool = false, command: String? = nil,
                    thresholds: Monitoring.Thresholds = .init(),
                    _ body: @escaping @Sendable (DomainTarget) async throws -> DomainResult) async throws -> ExitStatus {
        if format.isMonitoring && command == nil {
            throw CLIError.usage("--output \(format.rawValue) is for get, doctor and verify")
        }
        let body: @Sendable (DomainTarget) async throws -> DomainResult = { target in
            Diagnostics.log.info("domain", metadata: ["domain": "\(target.domain.value)", "server": "\(target.configuration.uri)"])
            do {
                let result = try await body(target)
                Diagnostics.log.info("domain done", metadata: ["domain": "\(target.domain.value)", "exit": "\(result.status.rawValue)"])
                return result
            } catch {
                Diagnostics.log.info("domain failed", metadata: ["domain": "\(target.domain.value)", "error": "\(error)"])
                throw error
            }
        }
        if targets.count == 1 && !alwaysArray && !format.isMonitoring {
            let result = try await body(targets[0])
            Terminal.writeOut(format == .json ? result.json : result.table)
            return result.status
        }
        // Each domain's outcome goes into its own slot, written by its task, rather than back
        // through the task group as an (index, outcome) pair: in release builds (Swift 6.3.1,
        // Linux) the index of such a pair arrived as 0 or garbage, and reports were printed
        // under other domains' names (docs/performance.md, "Found by the WAN bench").
        let slots = OutcomeSlots(count: targets.count)
        await withTaskGroup(of: Void.self) { group in
            for (index, target) in targets.enumerated() {
                group.addTask {
                    do { slots.set(index, .success(try await body(target))) } catch { slots.set(index, .failure(error)) }
                }
            }
        }
        let outcomes = slots.outcomes
        if format.isMonitoring, let command {
            // every domain gives a sample, a failed one too: monitoring reads failures as states
            let samples = zip(targets, outcomes).map { target, outcome -> MonitorSample in
                switch outcome {
                case let .success(result):
                    return result.monitor ?? MonitorSample(domain: target.domain.value, command: command)
                case let .failure(error):
                    Terminal.writeErr("aadkerb: error: \(target.domain.value): \(errorMessage(error))")
                    var sample = MonitorSample(domain: target.domain.value, command: command)
                    sample.error = (ExitStatus(error), errorMessage(error))
                    return sample
                }
            }
            if format == .prometheus {
                // the state is in the metrics; exit 0 so that `... > f.$$ && mv f.$$ f.prom` replaces the file
                Terminal.writeOut(Monitoring.prometheus(samples).trimmingCharacters(in: .newlines))
                return .success
            }
            let (line, code) = Monitoring.nagiosOutput(samples, thresholds: thresholds)
            Terminal.writeOut(line)
            if code != 0 { throw ExitCode(code) }
            return .success
        }
        var json: [String] = []
        var tables: [String] = []
        var statuses: [ExitStatus] = []
        for (target, outcome) in zip(targets, outcomes) {
            let name = target.domain.value
            switch outcome {
            case let .success(result):
                json.append(result.json)
                tables.append("== \(name) ==\n" + result.table)
                statuses.append(result.status)
            case let .failure(error):
                let status = ExitStatus(error)
                Terminal.writeErr("aadkerb: error: \(name): \(errorMessage(error))")
                json.append(JSON.encode(DomainError(DomainDnsName: name, Error: status.name, ExitCode: status.rawValue, Message: errorMessage(error))))
                tables.append("== \(name) ==\nerror: \(errorMessage(error))")
                statuses.append(status)
            }
        }
        if format == .json {
            // Each element is already pretty-printed JSON; indent it as an array element.
            let elements = json.map { "  " + $0.replacingOccurrences(of: "\n", with: "\n  ") }
            Terminal.writeOut("[\n" + elements.joined(separator: ",\n") + "\n]")
        } else {
            Terminal.writeOut(tables.joined(separator: "\n\n"))
        }
        return combined(statuses)
    }

    /// The exit code of a run over several domains: 0 when every domain returned 0; otherwise
    /// a failure to run (1, 10-17, 64, 66) outranks a state found (5 incomplete > 4 drifted > 3
    /// not configured > 7 refused > 6 not due), and among failures the first domain's, in the
    /// order given, wins.
    static func combined(_ statuses: [ExitStatus]) -> ExitStatus {
        let states: [ExitStatus] = [.checksFailed, .checksWarned, .signInRefused, .pending, .incomplete, .drifted, .notConfigured, .refused, .notDue]  // most serious first
        if let failure = statuses.first(where: { $0 != .success && !states.contains($0) }) { return failure }
        for state in states where statuses.contains(state) { return state }
        return .success
    }

    struct DomainError: Encodable {
        let DomainDnsName: String
        let Error: String
        let ExitCode: Int32
        let Message: String
    }
}

/// One outcome per domain, each written once by the domain's own task.
final class OutcomeSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<DomainResult, any Error>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ outcome: Result<DomainResult, any Error>) {
        lock.withLock { slots[index] = outcome }
    }

    /// In the targets' order; a slot its task never wrote cannot happen (the group waits for every task).
    var outcomes: [Result<DomainResult, any Error>] {
        lock.withLock { slots.map { $0 ?? .failure(CLIError(status: .failure, message: "internal error: a domain's task left no outcome")) } }
    }
}
