import Foundation
import TestSupport
import Testing

extension SharedServers {
    /// The tenant client follows no redirect (security issue, item 3): a 302 or 307 from the API or
    /// from the token endpoint, to plain http on another host, reaches nothing there — no bearer
    /// token, no client secret — and the run fails saying where it was sent (exit 17).
    @Suite struct TenantRedirectTests {
        static let catcherIP = "127.0.0.62", catcherPort = "8080"

        func catcher() async throws -> (Spawned, URL) {
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("aadkerb-catcher-\(UUID().uuidString)")
            let process = try await spawn(URL(fileURLWithPath: "/usr/bin/python3"), [
                Paths.packageRoot.path + "/Tests/Fixtures/catcher.py", Self.catcherIP, Self.catcherPort, log.path])
            for _ in 0..<100 {
                if (try? String(contentsOf: log, encoding: .utf8))?.contains("ready") == true { return (process, log) }
                try await Task.sleep(for: .milliseconds(50))
            }
            process.kill(); _ = try await process.wait()
            throw FixtureError("the redirect catcher did not start on \(Self.catcherIP):\(Self.catcherPort)")
        }

        @Test(arguments: [("GET", "/v1/tenants/", 302), ("GET", "/v1/tenants/", 307), ("POST", "/contoso/oauth2/", 307)])
        func aRedirectIsNotFollowed(method: String, path: String, status: Int) async throws {
            let dc = try await Fixture.shared.dc("contoso")
            let server = try await Fixture.shared.tenant()
            try await server.clearFaults()
            let (process, log) = try await catcher()
            defer { process.kill(); try? FileManager.default.removeItem(at: log) }  // killed; the runner reaps it
            let target = "http://\(Self.catcherIP):\(Self.catcherPort)/stolen"
            try await server.inject(["method": method, "pathPrefix": path, "status": status, "location": target, "times": 10])
            // cleared at the end (a defer cannot wait); after a failure, the next Fixture.tenant() clears them

            let result = try await aadkerb(["get", "--cloud-only"] + dc.connectionArguments + server.arguments() + ["--tenant-retries", "0"])
            let reached = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").filter { $0 != "ready" }
            #expect(reached.isEmpty, "the redirect target got: \(reached)")
            #expect(result.status == 17, "\(result.stdout)\n\(result.stderr)")
            #expect(result.stderr.contains("redirected to \(target)") && result.stderr.contains("not followed"), "\(result.stderr)")
            try await server.clearFaults()
        }
    }
}
