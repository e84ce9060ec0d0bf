import Foundation
import TestSupport
import Testing

extension SharedServers {
    /// Issue 14, item 3: -o nagios (the plugin guidelines: one status line, perfdata, exit 0-3)
    /// and -o prometheus (checked by promtool, an independent parser) for get, doctor and verify.
    @Suite struct MonitoringTests {
        /// The Nagios plugin guidelines' output: `SERVICE STATUS - text | 'label'=value[UOM];[warn];[crit];[min];[max] ...`.
        static func parseNagios(_ output: String) -> (status: String, perf: [String: String])? {
            let lines = output.split(separator: "\n")
            guard lines.count == 1 else { return nil }
            let parts = lines[0].split(separator: "|", maxSplits: 1)
            guard let head = parts.first, let match = head.wholeMatch(of: /AADKERB (OK|WARNING|CRITICAL|UNKNOWN) - (.+?) ?/) else { return nil }
            var perf: [String: String] = [:]
            if parts.count == 2 {
                for item in parts[1].split(separator: " ") {
                    guard let m = item.wholeMatch(of: /('[^'=]+'|[^'= ]+)=(-?[0-9.]+)(s|%|B|c)?(;(-?[0-9.]*)){0,4}/) else { return nil }
                    perf[String(m.1).trimmingCharacters(in: CharacterSet(charactersIn: "'"))] = String(m.2)
                }
            }
            return (String(match.1), perf)
        }

        func promtool(_ text: String) async throws -> ProcessResult {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("aadkerb-\(UUID().uuidString).prom")
            try Data(text.utf8).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            return try await run(URL(fileURLWithPath: "/bin/sh"), ["-c", "promtool check metrics < \"$0\"", file.path])
        }

        @Test func getAsANagiosPlugin() async throws {
            let dc = try await Fixture.shared.dc("contoso")
            let server = try await Fixture.shared.tenant()
            #expect(try await aadkerb(["set"] + dc.connectionArguments + server.arguments()).status == 0)

            let ok = try await aadkerb(["get"] + dc.connectionArguments + server.arguments() + ["-o", "nagios", "--warn-age", "30d", "--crit-age", "60d"])
            #expect(ok.status == 0, "\(ok.stdout)\n\(ok.stderr)")
            let parsed = try #require(Self.parseNagios(ok.stdout), "not a plugin line: \(ok.stdout)")
            #expect(parsed.status == "OK" && ok.stdout.contains("contoso.corp.com in sync"), "\(ok.stdout)")
            #expect(parsed.perf["in_sync"] == "1" && parsed.perf["kvno"] != nil && parsed.perf["kvno"] == parsed.perf["cloud_kvno"], "\(ok.stdout)")
            #expect(ok.stdout.contains(";2592000;5184000;0;"), "the thresholds in the perfdata: \(ok.stdout)")

            // any key is at least 0 s old: WARNING, then CRITICAL (a key `set` just made may be 0 s old)
            let warn = try await aadkerb(["get"] + dc.connectionArguments + ["-o", "nagios", "--warn-age", "0s"])
            #expect(warn.status == 1 && Self.parseNagios(warn.stdout)?.status == "WARNING" && warn.stdout.contains("days old"), "\(warn.stdout)")
            let crit = try await aadkerb(["get"] + dc.connectionArguments + ["-o", "nagios", "--warn-age", "0s", "--crit-age", "0s"])
            #expect(crit.status == 2 && Self.parseNagios(crit.stdout)?.status == "CRITICAL", "\(crit.stdout)")

            // a DC that does not answer is the monitored system's state: CRITICAL, naming the cause
            let down = try await aadkerb(["get", "--domain", dc.domain, "--server", "ldaps://127.0.0.97:1", "--ca-file", dc.caFile,
                                    "--user", "Administrator", "--password-file", dc.passwordFile, "-o", "nagios"])
            #expect(down.status == 2 && Self.parseNagios(down.stdout)?.status == "CRITICAL" && down.stdout.contains("unreachable"), "\(down.stdout)")

            // bad arguments: UNKNOWN (3), not 64
            let usage = try await aadkerb(["get", "-o", "nagios"])
            #expect(usage.status == 3 && Self.parseNagios(usage.stdout)?.status == "UNKNOWN", "\(usage.stdout)\n\(usage.stderr)")
            let typo = try await aadkerb(["get", "--domian", "x.com", "-o", "nagios"])
            #expect(typo.status == 3 && typo.stdout.hasPrefix("AADKERB UNKNOWN - "), "\(typo.stdout)")
            // a command without monitoring output says so
            let set = try await aadkerb(["set"] + dc.connectionArguments + ["-o", "nagios"])
            #expect(set.status == 3 && set.stdout.contains("is for get, doctor and verify"), "\(set.stdout)\n\(set.stderr)")
            #expect(try await aadkerb(["set"] + dc.connectionArguments + ["-o", "prometheus"]).status == 64)
        }

        @Test func getDoctorAndVerifyAsPrometheusMetrics() async throws {
            let dc = try await Fixture.shared.dc("contoso")
            let server = try await Fixture.shared.tenant()
            #expect(try await aadkerb(["set"] + dc.connectionArguments + server.arguments()).status == 0)

            let get = try await aadkerb(["get"] + dc.connectionArguments + server.arguments() + ["-o", "prometheus"])
            #expect(get.status == 0, "\(get.stderr)")
            let checked = try await promtool(get.stdout)
            #expect(checked.status == 0, "promtool: \(checked.stdout)\(checked.stderr)\n\(get.stdout)")
            let labels = "{command=\"get\",domain=\"\(dc.domain)\"}"
            for line in ["aadkerb_up\(labels) 1", "aadkerb_in_sync\(labels) 1", "aadkerb_configured\(labels) 1",
                         "aadkerb_rotation_pending\(labels) 0"] {
                #expect(get.stdout.contains(line + "\n"), "\(line) missing:\n\(get.stdout)")
            }
            #expect(get.stdout.contains("aadkerb_key_age_seconds\(labels) ") && get.stdout.contains("# TYPE aadkerb_kvno gauge"))
            let onprem = try #require(get.stdout.firstMatch(of: /aadkerb_kvno\{command="get",domain="[^"]+",side="onprem"\} (\d+)/))
            let cloud = try #require(get.stdout.firstMatch(of: /aadkerb_kvno\{command="get",domain="[^"]+",side="cloud"\} (\d+)/))
            #expect(onprem.1 == cloud.1)

            // two domains, one of them unreachable: still exit 0, the failure is a metric
            let two = try await aadkerb(["get", "--domain", dc.domain, "--server", dc.uri, "--domain", "fabrikam.com", "--server", "ldaps://127.0.0.97:1",
                                   "--ca-file", dc.caFile, "--user", "Administrator", "--password-file", dc.passwordFile, "-o", "prometheus"])
            #expect(two.status == 0, "\(two.stderr)")
            #expect(try await promtool(two.stdout).status == 0, "\(two.stdout)")
            #expect(two.stdout.contains("aadkerb_up{command=\"get\",domain=\"fabrikam.com\"} 0\n"), "\(two.stdout)")
            #expect(two.stdout.contains("aadkerb_error{command=\"get\",domain=\"fabrikam.com\",kind=\"unreachable\"} 1\n"), "\(two.stdout)")

            let doctor = try await aadkerb(["doctor"] + dc.connectionArguments + server.arguments() + ["-o", "prometheus"])
            #expect(doctor.status == 0, "\(doctor.stderr)")
            #expect(try await promtool(doctor.stdout).status == 0, "\(doctor.stdout)")
            #expect(doctor.stdout.contains("aadkerb_doctor_checks{command=\"doctor\",domain=\"\(dc.domain)\",status=\"pass\"} "), "\(doctor.stdout)")
            let doctorNagios = try await aadkerb(["doctor"] + dc.connectionArguments + server.arguments() + ["-o", "nagios"])
            #expect([0, 1, 2].contains(doctorNagios.status) && Self.parseNagios(doctorNagios.stdout) != nil, "\(doctorNagios.stdout)")

            let verify = try await aadkerb(["verify"] + dc.connectionArguments + server.arguments(client: "admin") + ["--sign-in", "Administrator", "-o", "prometheus"])
            #expect(verify.status == 0, "\(verify.stdout)\n\(verify.stderr)")
            #expect(try await promtool(verify.stdout).status == 0, "\(verify.stdout)")
            // Administrator is tier 0: the DC refuses it by the reveal policy
            #expect(verify.stdout.contains("aadkerb_sign_ins{command=\"verify\",domain=\"\(dc.domain)\",outcome=\"DeniedByPolicy\"} 1"), "\(verify.stdout)")
            let verifyNagios = try await aadkerb(["verify"] + dc.connectionArguments + server.arguments() + ["--sign-in", "Administrator", "-o", "nagios"])
            #expect(verifyNagios.status == 2 && Self.parseNagios(verifyNagios.stdout)?.status == "CRITICAL", "\(verifyNagios.stdout)")
        }
    }
}
