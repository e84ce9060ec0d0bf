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
        let child = try await spawn(Paths.aadkerb, ["get", "--domain", "contoso.corp.com", "--server", "ldaps://\(silent.host):\(silent.port)",
                                              "--user", "Administrator", "--connect-timeout", "15"],
                              environment: ["AADKERB_DOMAIN_PASSWORD": marker, "AADKERB_CLIENT_SECRET": marker + "-client"])
        // once it is connected to the silent server (secrets read, hardening applied), look at it
        // (15 s: long enough that a test process starved of CPU by the rest of the suite still
        // looks while the child lives; the connection stays in the backlog after it exits)
        var environ = Data(), limits = "", problem = "not connected within 12 s"
        for _ in 0..<120 where environ.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            guard silent.pendingConnections() > 0 else { continue }
            let (e, environError) = Self.read("/proc/\(child.pid)/environ")
            let (l, limitsError) = Self.read("/proc/\(child.pid)/limits")
            environ = e
            limits = String(decoding: l, as: UTF8.self)
            problem = "environ: \(environError ?? "empty"), limits: \(limitsError ?? "read")"
        }
        let result = try await child.wait(deadline: .seconds(30))
        #expect(!environ.isEmpty, "could not read the running process (\(problem)): \(result?.status ?? -1) \(result?.stderr ?? "")")
        #expect(!String(decoding: environ, as: UTF8.self).contains(marker), "the password is still in /proc/<pid>/environ")
        #expect(String(decoding: environ, as: UTF8.self).contains("PATH="), "the rest of the environment is kept")
        let core = limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") }.map(String.init) ?? ""
        #expect(core.split(separator: " ", omittingEmptySubsequences: true).dropFirst(4).prefix(2) == ["0", "0"], "\(core)")
        // the password still reached the code that needs it: the run got as far as the silent server
        #expect(result.map { [12, 13, 15].contains($0.status) } == true, "\(result?.stderr ?? "killed")")
    }

    /// A /proc file read with open/read (its size is 0 to stat); the error, if any.
    static func read(_ path: String) -> (Data, String?) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return (Data(), String(cString: strerror(errno))) }
        defer { close(fd) }
        var out = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = Glibc.read(fd, &buffer, buffer.count)
            if n < 0 { return (out, String(cString: strerror(errno))) }
            if n == 0 { return (out, nil) }
            out.append(contentsOf: buffer[0..<n])
        }
    }
}
