import Foundation
import Testing

/// While aadkerb runs, a password given in the environment is no longer in /proc/<pid>/environ
/// and no core dump can be written (security issue, item 6). The run is held on a server that
/// accepts TCP and stays silent, so that the process can be looked at.
@Suite struct ProcessHardeningTests {
    @Test func theSecretLeavesTheEnvironmentAndNoCoreIsDumped() async throws {
        let silent = try SilentListener()
        defer { close(silent.fd) }
        let marker = "pw-\(UUID().uuidString)"
        let child = try spawn(Paths.aadkerb, ["get", "--domain", "contoso.corp.com", "--server", "ldaps://\(silent.host):\(silent.port)",
                                              "--user", "Administrator", "--connect-timeout", "4"],
                              environment: ["AADKERB_DOMAIN_PASSWORD": marker, "AADKERB_CLIENT_SECRET": marker + "-client"])
        // once it is connected to the silent server (secrets read, hardening applied), look at it
        var environ = Data(), limits = ""
        for _ in 0..<60 where environ.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            guard (try? String(contentsOfFile: "/proc/\(child.pid)/status", encoding: .utf8))?.contains("State:\tZ") == false else { break }
            if silent.pendingConnections() > 0 {
                environ = FileManager.default.contents(atPath: "/proc/\(child.pid)/environ") ?? Data()
                limits = (try? String(contentsOfFile: "/proc/\(child.pid)/limits", encoding: .utf8)) ?? ""
            }
        }
        let result = await child.wait(deadline: .seconds(20))
        #expect(!environ.isEmpty, "the process was gone before it could be read: \(result?.status ?? -1) \(result?.stderr ?? "")")
        #expect(!String(decoding: environ, as: UTF8.self).contains(marker), "the password is still in /proc/<pid>/environ")
        #expect(String(decoding: environ, as: UTF8.self).contains("PATH="), "the rest of the environment is kept")
        let core = limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") }.map(String.init) ?? ""
        #expect(core.split(separator: " ", omittingEmptySubsequences: true).dropFirst(4).prefix(2) == ["0", "0"], "\(core)")
        // the password still reached the code that needs it: the run got as far as the silent server
        #expect(result.map { [12, 13, 15].contains($0.status) } == true, "\(result?.stderr ?? "killed")")
    }
}
