import Foundation
import Basics
import Testing
@testable import DRSClient

/// A TCP listener on 127.0.0.1 that accepts and then does what it is told (nothing, or close).
final class SilentListener: @unchecked Sendable {
    let fd: Int32
    let port: UInt16

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 4) == 0 else { throw TransportError.io("listen") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.fd = fd
        port = UInt16(bigEndian: address.sin_port)
    }

    /// Accepts one connection on a thread of its own; closes it at once if asked, else after `hold` seconds.
    func serveOnce(closeImmediately: Bool, hold: Double = 5) {
        let fd = self.fd
        Thread.detachNewThread {
            let client = accept(fd, nil, nil)
            if !closeImmediately { Thread.sleep(forTimeInterval: hold) }
            if client >= 0 { close(client) }
        }
    }

    deinit { close(fd) }
}

@Suite struct TransportTests {
    @Test func aSilentServerTimesOutWithinTheDeadline() async throws {
        let listener = try SilentListener()
        // The server stays silent for 40 s; the 500 ms timeout must end the read long before. The
        // bound is loose on purpose: under the full suite's load on 2 cores the same run took 8-12 s.
        listener.serveOnce(closeImmediately: false, hold: 40)
        let start = ContinuousClock.now
        let e = try await #require(throws: DRSError.self) {
            _ = try await DRSSecretReader.readKeys(host: "127.0.0.1", port: listener.port, signIn: .ntlm(user: "u", domain: "D", password: Secret("p")),
                                                   objectDN: "CN=x", timeout: .milliseconds(500))
        }
        #expect(e.step == .authentication && e.isTimeout)
        #expect(ContinuousClock.now - start < .seconds(25))
    }

    @Test func aServerThatHangsUpIsAnAuthenticationStepFailure() async throws {
        let listener = try SilentListener()
        listener.serveOnce(closeImmediately: true)
        let e = try await #require(throws: DRSError.self) {
            _ = try await DRSSecretReader.readKeys(host: "127.0.0.1", port: listener.port, signIn: .ntlm(user: "u", domain: "D", password: Secret("p")), objectDN: "CN=x")
        }
        #expect(e.step == .authentication && e.detail.contains("closed"))
        #expect(!e.description.contains("\"p\""))
    }

    @Test func aRefusedPortIsAConnectFailure() async throws {
        let port: UInt16
        do { let l = try SilentListener(); port = l.port }  // closed again: nothing listens there now
        let e = try await #require(throws: DRSError.self) {
            _ = try await DRSSecretReader.readKeys(host: "127.0.0.1", port: port, signIn: .ntlm(user: "u", domain: "D", password: Secret("p")), objectDN: "CN=x")
        }
        #expect(e.step == .connect && e.detail.contains("refused"))
        let unresolvable = try await #require(throws: DRSError.self) {
            _ = try await DRSSecretReader.readKeys(host: "no-such-host.invalid", port: 1, signIn: .ntlm(user: "u", domain: "D", password: Secret("p")), objectDN: "CN=x")
        }
        #expect(unresolvable.step == .connect)
    }

    @Test func cancellingTheTaskStopsTheRead() async throws {
        let listener = try SilentListener()
        // silent for 40 s, a 60 s timeout: only the cancellation can end the read within the bound
        listener.serveOnce(closeImmediately: false, hold: 40)
        let start = ContinuousClock.now
        let task = Task {
            try await DRSSecretReader.readKeys(host: "127.0.0.1", port: listener.port, signIn: .ntlm(user: "u", domain: "D", password: Secret("p")),
                                               objectDN: "CN=x", timeout: .seconds(60))
        }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
        #expect(ContinuousClock.now - start < .seconds(25))
    }
}
