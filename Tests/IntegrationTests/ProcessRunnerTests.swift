import Foundation
import TestSupport
import Testing

/// The tests' one process runner (TestSupport's `ChildProcess`, on swift-subprocess): what
/// docs/testing.md says of it, checked with real children. No fixture server is needed.
@Suite struct ProcessRunnerTests {
    /// A descriptor of the test process that a child would inherit (no FD_CLOEXEC), at a number
    /// of its own: the child must not see it, nor any other descriptor above 2.
    @Test func aChildGetsNoDescriptorAbove2() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("aadkerb-fd-marker-\(UUID().uuidString)").path
        try Data("marker".utf8).write(to: URL(fileURLWithPath: marker))
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let fd = open(marker, O_RDONLY)  // no O_CLOEXEC: inheritable
        try #require(fd >= 0)
        defer { close(fd) }
        let high = dup2(fd, 200)
        try #require(high == 200)
        defer { close(high) }
        // the control: both are inheritable, so only the runner can keep them from the child
        #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC == 0 && fcntl(high, F_GETFD) & FD_CLOEXEC == 0)

        // ls, the runner's own child, lists its descriptors: 0-2, and the one it reads /proc/self/fd with
        let listed = try await ChildProcess.run("/bin/ls", ["-l", "/proc/self/fd/"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let descriptors = listed.stdout.split(separator: "\n").compactMap { line -> (Int, String)? in
            guard let arrow = line.range(of: " -> ") else { return nil }
            guard let number = line[..<arrow.lowerBound].split(separator: " ").last.flatMap({ Int($0) }) else { return nil }
            return (number, String(line[arrow.upperBound...]))
        }
        #expect(Set(descriptors.map(\.0)).isSuperset(of: [0, 1, 2]), "\(listed.stdout)")
        let above2 = descriptors.filter { $0.0 > 2 && !$0.1.hasPrefix("/proc/") }
        #expect(above2.isEmpty, "the child inherited: \(above2)")
        #expect(descriptors.filter { $0.0 > 2 }.count <= 1, "\(listed.stdout)")
        #expect(!listed.stdout.contains(marker), "the marker file reached the child: \(listed.stdout)")
    }

    /// A script that leaves a process in the background holding the same stdout and stderr
    /// (scripts/tenant-server start does) is seen to exit: the run returns with its output.
    @Test func aScriptThatLeavesAChildRunningIsSeenToExit() async throws {
        let start = ContinuousClock.now
        let result = try await ChildProcess.run("/bin/sh", ["-c", "sleep 20 & echo started"])
        #expect(result.status == 0 && result.stdout == "started\n", "\(result.stdout)\(result.stderr)")
        #expect(ContinuousClock.now - start < .seconds(15), "the run waited for the background child")
    }

    @Test func statusStdinAndBothOutputsInFull() async throws {
        let echoed = try await ChildProcess.run("/bin/cat", [], stdin: "line one\nline two\n")
        #expect(echoed.status == 0 && echoed.stdout == "line one\nline two\n")
        let exited = try await ChildProcess.run("/bin/sh", ["-c", "echo out; echo err >&2; exit 7"])
        #expect(exited.status == 7 && exited.stdout == "out\n" && exited.stderr == "err\n")
        // a signal ends it: 128 + the signal, as a shell reports it
        let signaled = try await ChildProcess.run("/bin/sh", ["-c", "kill -TERM $$"])
        #expect(signaled.status == 128 + SIGTERM)
        // more than any pipe holds, on both streams at once: collected whole, never blocked
        let big = try await ChildProcess.run("/bin/sh", ["-c", "head -c 3000000 /dev/zero; head -c 2000000 /dev/zero >&2"])
        #expect(big.status == 0 && big.output.count == 3_000_000 && big.errorOutput.count == 2_000_000)
        // no stdin given: an empty one, at its end at once
        let empty = try await ChildProcess.run("/bin/cat", [])
        #expect(empty.status == 0 && empty.stdout.isEmpty)
    }

    @Test func aStartedChildCanBeKilledAndADeadlineKills() async throws {
        let child = try await ChildProcess.start("/bin/sleep", ["30"])
        #expect(child.pid > 0 && kill(child.pid, 0) == 0)
        child.kill(SIGKILL)
        let killed = try await child.wait()
        #expect(killed.status == 128 + SIGKILL && killed.elapsed < .seconds(20))
        child.kill(SIGKILL)  // reaped: nothing is sent (the pid may be another's by now)

        let start = ContinuousClock.now
        let overran = try await ChildProcess.run("/bin/sleep", ["30"], deadline: .seconds(1))
        #expect(overran == nil && ContinuousClock.now - start < .seconds(20))
        let inTime = try await ChildProcess.run("/bin/sh", ["-c", "echo done"], deadline: .seconds(20))
        #expect(inTime?.stdout == "done\n")
    }

    /// The child's environment: aadkerb's own inputs of this process left out, the fixtures' kept,
    /// no user config file, the test run's tenant key pins; then what the caller adds.
    @Test func theEnvironmentLeavesAadkerbsInputsOut() async throws {
        let env = try await ChildProcess.run("/usr/bin/env", [], environment: ["AADKERB_EXTRA_FOR_TEST": "given"])
        let lines = Set(env.stdout.split(separator: "\n").map(String.init))
        let keys = Set(lines.compactMap { $0.split(separator: "=", maxSplits: 1).first.map(String.init) })
        #expect(lines.contains("AADKERB_EXTRA_FOR_TEST=given"))
        #expect(lines.contains("XDG_CONFIG_HOME=/nonexistent/aadkerb-tests"))
        #expect(lines.contains("AADKERB_TENANT_KEYS=\(ChildProcess.stateDirectory)/tenant-keys"))
        let inherited = keys.filter { $0.hasPrefix("AADKERB_") && $0 != "AADKERB_EXTRA_FOR_TEST" && $0 != "AADKERB_TENANT_KEYS" }
        #expect(inherited.allSatisfy { $0.hasPrefix("AADKERB_DC_") || $0.hasPrefix("AADKERB_TENANT_") || $0 == "AADKERB_LOG_FILE" }, "\(inherited)")
        // scripts/test sets AADKERB_DRS_TEST_DC_DIR for DRSClientTests: an input of this process, not the child's
        if ProcessInfo.processInfo.environment["AADKERB_DRS_TEST_DC_DIR"] != nil {
            #expect(!keys.contains("AADKERB_DRS_TEST_DC_DIR"))
        }
    }
}
