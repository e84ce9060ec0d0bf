import Foundation
import LDAPClient
import Testing

enum Paths {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `aadkerb` binary built next to this test bundle.
    static let aadkerb: URL = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for dir in [beside, beside.deletingLastPathComponent(), packageRoot.appendingPathComponent(".build/debug")] {
            let candidate = dir.appendingPathComponent("aadkerb")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return packageRoot.appendingPathComponent(".build/debug/aadkerb")
    }()

    static let sambaDC = packageRoot.appendingPathComponent("scripts/samba-dc")
    static let oracle = packageRoot.appendingPathComponent("scripts/oracle/onprem-oracle.py")
}

struct ProcessResult: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
    var elapsed: Duration
}

/// Runs a program with its output in temporary files (no pipe can fill up and block it).
/// The child gets this process's environment minus aadkerb's own inputs (AADKERB_* except the
/// fixture's AADKERB_DC_*), plus `environment`: no credential leaks in from the caller.
func run(_ executable: URL, _ arguments: [String], environment: [String: String] = [:],
         stdin: String? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AADKERB_") || $0.key.hasPrefix("AADKERB_DC_") }
    env.merge(environment) { $1 }
    process.environment = env
    let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("aadkerb-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: tmp) }
    let out = tmp.appendingPathComponent("out"), err = tmp.appendingPathComponent("err"), inp = tmp.appendingPathComponent("in")
    for (file, contents) in [(out, Data()), (err, Data()), (inp, Data((stdin ?? "").utf8))] {
        try contents.write(to: file)
    }
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    process.standardInput = try FileHandle(forReadingFrom: inp)
    let start = ContinuousClock.now
    try process.run()
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus,
        stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "",
        elapsed: ContinuousClock.now - start)
}

func aadkerb(_ arguments: [String], environment: [String: String] = [:], stdin: String? = nil) throws -> ProcessResult {
    try run(Paths.aadkerb, arguments, environment: environment, stdin: stdin)
}

func jsonObject(_ text: String) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    return try #require(value as? [String: Any], "not a JSON object: \(text)")
}

/// A Samba AD DC of the test fixture (scripts/samba-dc), started on first use.
struct DomainController: Sendable {
    let name: String
    let env: [String: String]

    var realm: String { env["DC_REALM"]! }
    var domain: String { env["DC_DNSDOMAIN"]! }
    var ip: String { env["DC_IP"]! }
    var uri: String { env["DC_URI"]! }
    var startTLSURI: String { env["DC_STARTTLS_URI"]! }
    var baseDN: String { env["DC_BASEDN"]! }
    var adminUPN: String { env["DC_ADMIN_UPN"]! }
    var adminDN: String { env["DC_ADMIN_DN"]! }
    var passwordFile: String { env["DC_ADMIN_PASSWORD_FILE"]! }
    var caFile: String { env["DC_CACERT"]! }
    var fqdn: String { env["DC_FQDN"]! }
    var dir: String { env["DC_DIR"]! }

    var password: Secret {
        get throws { Secret(try String(contentsOfFile: passwordFile, encoding: .utf8)) }
    }

    /// Arguments that connect `aadkerb` to this DC as Administrator.
    var connectionArguments: [String] {
        ["--domain", domain, "--server", uri, "--ca-file", caFile, "--user", "Administrator", "--password-file", passwordFile]
    }

    func adminConnection() async throws -> LDAPConnection {
        let c = try await LDAPConnection.open(LDAPConfiguration(uri: uri, caFile: caFile))
        try await c.bind(.simple(bindName: adminUPN, password: try password))
        return c
    }
}

actor Fixture {
    static let shared = Fixture()

    static let known: [String: (realm: String, ip: String)] = [
        "contoso": ("contoso.corp.com", "127.0.0.21"),
        "fabrikam": ("fabrikam.com", "127.0.0.22"),
    ]

    private var started: [String: DomainController] = [:]

    /// Starts (provisioning on first use) the named DC; a no-op when it is already running.
    func dc(_ name: String) throws -> DomainController {
        if let dc = started[name] { return dc }
        let (realm, ip) = Self.known[name]!
        let start = try run(Paths.sambaDC, ["start", name, realm, ip])
        guard start.status == 0 else {
            throw FixtureError("scripts/samba-dc start \(name) failed (\(start.status)): \(start.stderr)")
        }
        let envOut = try run(Paths.sambaDC, ["env", name])
        var env: [String: String] = [:]
        for line in envOut.stdout.split(separator: "\n") {
            guard line.hasPrefix("export "), let eq = line.firstIndex(of: "=") else { continue }
            let key = String(line[line.index(line.startIndex, offsetBy: 7)..<eq])
            env[key] = String(line[line.index(after: eq)...]).trimmingCharacters(in: ["'"])
        }
        let dc = DomainController(name: name, env: env)
        started[name] = dc
        return dc
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// A TCP listener that never accepts and never answers: a black-hole server, and a witness that
/// tells whether anything connected to it.
final class SilentListener: @unchecked Sendable {
    let fd: Int32
    let port: UInt16
    let host: String

    init(host: String = "127.0.0.98") throws {
        self.host = host
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        inet_pton(AF_INET, host, &addr.sin_addr)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { throw FixtureError("cannot listen on \(host)") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        self.port = UInt16(bigEndian: addr.sin_port)
    }

    /// How many connections are waiting in the backlog (accepting and closing them).
    func drainConnections() -> Int {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var n = 0
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 { return n }
            close(c)
            n += 1
        }
    }

    deinit { close(fd) }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
