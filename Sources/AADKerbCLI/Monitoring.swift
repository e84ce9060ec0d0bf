import AADKerbCore
import Foundation

/// What a monitoring system reads of one domain's run: the facts, not words. `get`, `doctor`
/// and `verify` fill it; `Monitoring` turns samples into Nagios lines or Prometheus text.
struct MonitorSample: Sendable {
    var domain: String
    var command: String
    /// The on-prem objects: Configured, NotConfigured, Incomplete (nil: not read).
    var onPremStatus: OnPremKerberosServer.Status?
    /// InSync, Drifted, MissingInCloud, ... (nil: the cloud was not read).
    var syncStatus: KerberosServerComparison.SyncStatus?
    var keyUpdatedOn: Date?
    var keyVersion: Int64?
    var kvno: Int64?
    var cloudKeyVersion: Int64?
    var cloudKvno: Int64?
    /// A rotation lease is held in the tenant (started, not finished).
    var rotationPending: Bool?
    /// With --all-dcs: writable DCs that hold another key version or did not answer.
    var laggingDCs: Int?
    /// doctor: the number of checks per status.
    var checks: [DoctorCheck.Status: Int]?
    /// doctor: the names of the failed and warned checks.
    var failedChecks: [String] = []
    var warnedChecks: [String] = []
    /// verify: results per outcome.
    var signIns: [SignInOutcome: Int]?
    /// The run failed for this domain: its exit status and message.
    var error: (status: ExitStatus, message: String)?

    init(domain: String, command: String) {
        self.domain = domain
        self.command = command
    }
}

/// The one place that maps states to monitoring verdicts (docs/monitoring.md).
enum Monitoring {
    /// Key-age thresholds for Nagios (seconds).
    struct Thresholds: Sendable {
        var warnAge: Double?
        var critAge: Double?
    }

    enum NagiosStatus: Int32, Comparable {
        case ok = 0, warning = 1, critical = 2, unknown = 3
        var word: String { ["OK", "WARNING", "CRITICAL", "UNKNOWN"][Int(rawValue)] }
        // UNKNOWN ranks between WARNING and CRITICAL when combining, as check_multi does: a
        // CRITICAL domain must not hide behind another's UNKNOWN
        var rank: Int { [0, 1, 3, 2][Int(rawValue)] }
        static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
    }

    /// The verdict on one sample and why, in a few words.
    static func nagios(_ sample: MonitorSample, thresholds: Thresholds, now: Date = Date()) -> (NagiosStatus, String) {
        if let error = sample.error {
            // the plugin guidelines: UNKNOWN for bad arguments and the plugin's own failures;
            // a DC or tenant that does not answer is the monitored system's state: CRITICAL
            let status: NagiosStatus = [.usage, .unreadableInput, .failure].contains(error.status) ? .unknown : .critical
            return (status, "\(error.status.name): \(error.message)")
        }
        var worst: (NagiosStatus, String) = (.ok, "")
        func note(_ status: NagiosStatus, _ reason: String) { if status > worst.0 || worst.1.isEmpty && status == worst.0 { worst = (status, reason) } }
        switch sample.command {
        case "doctor":
            if let checks = sample.checks {
                if checks[.fail, default: 0] > 0 { note(.critical, "failed: \(sample.failedChecks.joined(separator: ", "))") }
                else if checks[.warn, default: 0] > 0 { note(.warning, "warnings: \(sample.warnedChecks.joined(separator: ", "))") }
                else { note(.ok, "\(checks[.pass, default: 0]) checks passed") }
            }
            return worst
        case "verify":
            if let signIns = sample.signIns {
                let refused = signIns.filter { $0.key != .accepted }.values.reduce(0, +)
                let accepted = signIns[.accepted, default: 0]
                if refused > 0 {
                    let kinds = signIns.keys.filter { $0 != .accepted }.map(\.rawValue).sorted().joined(separator: ", ")
                    note(.critical, "\(refused) sign-in(s) refused (\(kinds)), \(accepted) accepted")
                } else {
                    note(.ok, "\(accepted) sign-in(s) accepted")
                }
            }
            return worst
        default:
            break
        }
        switch sample.onPremStatus {
        case .notConfigured?: note(.critical, "not configured")
        case .incomplete?: note(.critical, "incomplete on-prem")
        default: break
        }
        switch sample.syncStatus {
        case .drifted?: note(.critical, "drifted from the cloud")
        case .missingInCloud?: note(.critical, "missing in the cloud")
        case .missingOnPrem?: note(.critical, "missing on-prem")
        case .incomplete?, .notConfigured?, .inSync?, nil: break
        }
        if let lagging = sample.laggingDCs, lagging > 0 { note(.warning, "\(lagging) DC(s) lag behind the key") }
        if sample.rotationPending == true { note(.warning, "a rotation is unfinished") }
        if let updated = sample.keyUpdatedOn {
            let age = now.timeIntervalSince(updated)
            let days = Int(age / 86_400)
            if let crit = thresholds.critAge, age >= crit { note(.critical, "key \(days) days old") }
            else if let warn = thresholds.warnAge, age >= warn { note(.warning, "key \(days) days old") }
        }
        if worst.1.isEmpty {
            let age = sample.keyUpdatedOn.map { " key \(Int(now.timeIntervalSince($0) / 86_400)) days old," } ?? ""
            worst = (.ok, (sample.syncStatus == .inSync ? "in sync," : "configured,") + age + " kvno \(sample.kvno.map(String.init) ?? "-")")
        }
        return worst
    }

    /// The Nagios plugin output (one status line with perfdata) and its exit code.
    static func nagiosOutput(_ samples: [MonitorSample], thresholds: Thresholds, now: Date = Date()) -> (String, Int32) {
        let verdicts = samples.map { ($0, nagios($0, thresholds: thresholds, now: now)) }
        let status = verdicts.map(\.1.0).max() ?? .unknown
        let summary: String
        if verdicts.count == 1, let (sample, (_, reason)) = verdicts.first {
            summary = "\(sample.domain) \(reason)"
        } else {
            let notOK = verdicts.filter { $0.1.0 != .ok }
            summary = notOK.isEmpty ? "\(verdicts.count) domains OK"
                : notOK.map { "\($0.0.domain) \($0.1.0.word): \($0.1.1)" }.joined(separator: "; ")
        }
        var perf: [String] = []
        for sample in samples {
            let prefix = samples.count > 1 ? "\(sample.domain)_" : ""
            func add(_ label: String, _ value: String) {
                let name = prefix + label
                perf.append((name.contains(" ") || name.contains("=") ? "'\(name)'" : name) + "=" + value)
            }
            if let updated = sample.keyUpdatedOn {
                let warn = thresholds.warnAge.map { String(Int($0)) } ?? "", crit = thresholds.critAge.map { String(Int($0)) } ?? ""
                add("key_age", "\(Int(now.timeIntervalSince(updated)))s;\(warn);\(crit);0;")
            }
            if let kvno = sample.kvno { add("kvno", "\(kvno)") }
            if let kvno = sample.cloudKvno { add("cloud_kvno", "\(kvno)") }
            if let sync = sample.syncStatus { add("in_sync", sync == .inSync ? "1" : "0") }
            if let lagging = sample.laggingDCs { add("lagging_dcs", "\(lagging)") }
            if let checks = sample.checks {
                for status in [DoctorCheck.Status.pass, .warn, .fail] { add("checks_\(status.rawValue.lowercased())", "\(checks[status, default: 0])") }
            }
            if let signIns = sample.signIns {
                add("sign_ins_accepted", "\(signIns[.accepted, default: 0])")
                add("sign_ins_refused", "\(signIns.filter { $0.key != .accepted }.values.reduce(0, +))")
            }
        }
        // the status line is one line: no newline from a message may break it, nor a | start perfdata
        let text = "AADKERB \(status.word) - \(summary)".replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "|", with: "/")
        return (text + (perf.isEmpty ? "" : " | " + perf.joined(separator: " ")), status.rawValue)
    }

    // MARK: - Prometheus

    /// The text exposition format (node_exporter's textfile collector). Metric names are stable
    /// like the JSON schema: docs/monitoring.md lists them.
    static func prometheus(_ samples: [MonitorSample], now: Date = Date()) -> String {
        var families: [(name: String, help: String, type: String, lines: [String])] = []
        func metric(_ name: String, _ help: String, _ type: String = "gauge", _ lines: [String]) {
            guard !lines.isEmpty else { return }
            families.append((name, help, type, lines))
        }
        func labels(_ pairs: [(String, String)]) -> String {
            "{" + pairs.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
        }
        func each(_ make: (MonitorSample) -> [([(String, String)], String)]) -> [String] {
            samples.flatMap { sample in make(sample).map { extra, value in
                "\(labels([("command", sample.command), ("domain", sample.domain)] + extra)) \(value)"
            } }
        }
        metric("aadkerb_up", "1 when the command ran to its end for the domain, 0 when it failed", "gauge",
               each { [([], $0.error == nil ? "1" : "0")] })
        metric("aadkerb_error", "the run failed for the domain, by kind (the JSON Error name)", "gauge",
               each { sample in sample.error.map { [([("kind", $0.status.name)], "1")] } ?? [] })
        metric("aadkerb_configured", "1 when the three on-prem objects exist and agree", "gauge",
               each { sample in sample.onPremStatus.map { [([], $0 == .configured ? "1" : "0")] } ?? [] })
        metric("aadkerb_in_sync", "1 when both sides exist and every pair matches (only when the cloud was read)", "gauge",
               each { sample in sample.syncStatus.map { [([], $0 == .inSync ? "1" : "0")] } ?? [] })
        metric("aadkerb_key_age_seconds", "seconds since the krbtgt_AzureAD key was set (KeyUpdatedOn)", "gauge",
               each { sample in sample.keyUpdatedOn.map { [([], String(Int(now.timeIntervalSince($0))))] } ?? [] })
        metric("aadkerb_key_updated_timestamp_seconds", "when the key was last set or rotated (Unix time)", "gauge",
               each { sample in sample.keyUpdatedOn.map { [([], String(Int($0.timeIntervalSince1970)))] } ?? [] })
        metric("aadkerb_key_version", "KeyVersion (the key's version number), on-prem and in the cloud", "gauge",
               each { sample in
                   (sample.keyVersion.map { [([("side", "onprem")], String($0))] } ?? [])
                       + (sample.cloudKeyVersion.map { [([("side", "cloud")], String($0))] } ?? [])
               })
        metric("aadkerb_kvno", "the kvno of the krbtgt_AzureAD key on-prem, and of the tenant's current key slot", "gauge",
               each { sample in
                   (sample.kvno.map { [([("side", "onprem")], String($0))] } ?? [])
                       + (sample.cloudKvno.map { [([("side", "cloud")], String($0))] } ?? [])
               })
        metric("aadkerb_rotation_pending", "1 when a rotation lease is held in the tenant (started, not finished)", "gauge",
               each { sample in sample.rotationPending.map { [([], $0 ? "1" : "0")] } ?? [] })
        metric("aadkerb_lagging_dcs", "writable DCs that hold another key version or did not answer (get --all-dcs)", "gauge",
               each { sample in sample.laggingDCs.map { [([], String($0))] } ?? [] })
        metric("aadkerb_doctor_checks", "doctor's checks by status", "gauge",
               each { sample in
                   guard let checks = sample.checks else { return [] }
                   return [DoctorCheck.Status.pass, .warn, .fail, .skipped].map { ([("status", $0.rawValue.lowercased())], String(checks[$0, default: 0])) }
               })
        metric("aadkerb_sign_ins", "verify's results by outcome (one per user and DC)", "gauge",
               each { sample in
                   guard let signIns = sample.signIns else { return [] }
                   return SignInOutcome.allCases.map { ([("outcome", $0.rawValue)], String(signIns[$0, default: 0])) }
               })
        let commands = Set(samples.map(\.command)).sorted()
        metric("aadkerb_last_run_timestamp_seconds", "when this output was made (Unix time)", "gauge",
               commands.map { "{command=\"\($0)\"} \(Int(now.timeIntervalSince1970))" })
        return families.map { family in
            (["# HELP \(family.name) \(family.help)", "# TYPE \(family.name) \(family.type)"]
                + family.lines.map { family.name + $0 }).joined(separator: "\n")
        }.joined(separator: "\n") + "\n"
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
