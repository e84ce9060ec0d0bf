import Foundation
import TestSupport
import LDAPClient
import TenantAPI
import TenantClient
import Testing
import Basics

/// The suites that change contoso.corp.com's Kerberos objects or use the shared tenant server
/// (restarting it, injecting faults) nest in this one, so that none of them interleave.
@Suite(.serialized) struct SharedServers {}

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
    static let tenantServerScript = packageRoot.appendingPathComponent("scripts/tenant-server")
    static var tenantServer: URL { aadkerb.deletingLastPathComponent().appendingPathComponent("aadkerb-tenant-server") }
    static let oracle = packageRoot.appendingPathComponent("scripts/oracle/onprem-oracle.py")
}

/// Runs a program to its end through the tests' one runner (TestSupport's `ChildProcess`:
/// swift-subprocess; the child gets descriptors 0-2 only, the filtered environment of
/// `ChildProcess.environment` plus `environment`, stdin from `stdin`, and both outputs are
/// collected whole, so none can block it).
func run(_ executable: URL, _ arguments: [String], environment: [String: String] = [:],
         stdin: String? = nil) async throws -> ProcessResult {
    try await ChildProcess.run(executable.path, arguments, environment: environment, stdin: stdin)
}

/// Starts a program and returns once it runs: to wait for, or to kill first.
func spawn(_ executable: URL, _ arguments: [String], environment: [String: String] = [:],
           stdin: String? = nil) async throws -> Spawned {
    try await ChildProcess.start(executable.path, arguments, environment: environment, stdin: stdin)
}

func aadkerb(_ arguments: [String], environment: [String: String] = [:], stdin: String? = nil) async throws -> ProcessResult {
    try await run(Paths.aadkerb, arguments, environment: environment, stdin: stdin)
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

    /// A new, uniquely named OU under the domain, so tests can write side by side; the caller
    /// tree-deletes it.
    func scratchOU(_ c: LDAPConnection) async throws -> String {
        let ou = "OU=t-\(UUID().uuidString.prefix(8)),\(baseDN)"
        try await c.add(ou, attributes: [LDAPModification(.add, "objectClass", strings: ["organizationalUnit"])])
        return ou
    }

    /// One PEM file with the CAs of several DCs (each fixture DC has its own CA), as one
    /// corporate CA would sign them all. The caller removes it.
    static func caBundle(_ dcs: [DomainController]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("aadkerb-cas-\(UUID().uuidString).pem").path
        try dcs.map { try String(contentsOfFile: $0.caFile, encoding: .utf8) }.joined(separator: "\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A user with a random password: enabled (a Domain User, as any account is), or disabled.
    /// Already there: left as it is.
    func addUser(_ c: LDAPConnection, in container: String, _ name: String, enabled: Bool = true) async throws {
        do {
            try await c.add("CN=\(name),\(container)", attributes: [
                LDAPModification(.add, "objectClass", strings: ["user"]),
                LDAPModification(.add, "sAMAccountName", strings: [name]),
                LDAPModification(.add, "unicodePwd", values: [Seeder.utf16Quoted(Seeder.randomPassword())]),
                LDAPModification(.add, "userAccountControl", strings: [enabled ? "512" : "514"]),
            ])
        } catch let error as LDAPError where error.code.rawValue == 68 {}  // entryAlreadyExists
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
        // stopped and restarted by tests (an outage mid-operation); nothing else uses it
        "northwind": ("northwind.test", "127.0.0.23"),
        // a domain with two DCs (westwind2 joined): replication tests only
        "westwind": ("westwind.test", "127.0.0.25"),
    ]
    /// Additional DCs of a domain above (scripts/samba-dc join): name -> (primary, IP).
    static let joined: [String: (primary: String, ip: String)] = [
        "westwind2": ("westwind", "127.0.0.26"),
    ]

    /// The DCs started or being started: the actor suspends while a script runs, so a second
    /// caller waits for the first one's start instead of running `scripts/samba-dc start` beside it.
    private var started: [String: Task<DomainController, any Error>] = [:]
    /// The last `tenant()` call: each waits for the one before (they start and stop the same server).
    private var tenantCall: Task<TenantServerInstance, any Error>?
    let dcRoot = ProcessInfo.processInfo.environment["AADKERB_DC_ROOT"] ?? "/tmp/aadkerb-dc"

    /// Starts (provisioning on first use) the named DC; a no-op when it is already running.
    func dc(_ name: String) async throws -> DomainController {
        if let starting = started[name] { return try await starting.value }
        let starting = Task { try await self.start(name) }
        started[name] = starting
        do {
            return try await starting.value
        } catch {
            started[name] = nil  // the next caller tries again
            throw error
        }
    }

    private func start(_ name: String) async throws -> DomainController {
        let start: ProcessResult
        if let (primary, ip) = Self.joined[name] {
            _ = try await dc(primary)
            if !FileManager.default.fileExists(atPath: dcRoot + "/\(name)/dc.conf") {
                let join = try await run(Paths.sambaDC, ["join", name, primary, ip])
                guard join.status == 0 else { throw FixtureError("scripts/samba-dc join \(name) failed (\(join.status)): \(join.stderr)") }
            }
            start = try await run(Paths.sambaDC, ["start", name])
        } else {
            let (realm, ip) = Self.known[name]!
            start = try await run(Paths.sambaDC, ["start", name, realm, ip])
        }
        guard start.status == 0 else {
            throw FixtureError("scripts/samba-dc start \(name) failed (\(start.status)): \(start.stderr)")
        }
        return DomainController(name: name, env: parseExports(try await run(Paths.sambaDC, ["env", name]).stdout))
    }

    /// The DC with no Azure AD Kerberos server objects: for tests that expect "not configured",
    /// whatever an earlier test or run left behind.
    func emptyDC(_ name: String) async throws -> DomainController {
        let dc = try await dc(name)
        try await Seeder.remove(dc, try await dc.adminConnection())
        return dc
    }
}

/// The tenant API reference server of the fixture (scripts/tenant-server).
struct TenantServerInstance: Sendable {
    let name: String
    let env: [String: String]

    var url: URL { URL(string: env["TENANT_URL"]!)! }
    var tenant: String { env["TENANT_ID"]! }
    var adminSecretFile: String { env["TENANT_ADMIN_SECRET_FILE"]! }
    var readerSecretFile: String { env["TENANT_READER_SECRET_FILE"]! }

    func secret(_ file: String) throws -> Secret {
        Secret(try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .newlines))
    }

    /// `aadkerb` arguments that read the cloud side as `client`.
    func arguments(client: String = "admin") -> [String] {
        ["--tenant", tenant, "--tenant-endpoint", url.absoluteString, "--authority", url.absoluteString,
         "--client-id", client, "--client-secret-file", client == "admin" ? adminSecretFile : readerSecretFile]
    }

    func client(_ id: String = "admin", maxRetries: Int = 3, timeout: Duration = .seconds(10)) throws -> TenantClient {
        TenantClient(endpoint: TenantEndpoint(tenant: tenant, apiURL: url, authority: url, timeout: timeout, maxRetries: maxRetries),
                     credentials: .clientSecret(clientID: id, secret: try secret(id == "admin" ? adminSecretFile : readerSecretFile)))
    }

    /// Adds a fault-injection rule (docs/tenant-api.md).
    func inject(_ rule: [String: Any]) async throws {
        let body = try JSONSerialization.data(withJSONObject: rule)
        let r = try await run(URL(fileURLWithPath: "/usr/bin/curl"),
                        ["-sf", "--cacert", env["TENANT_CA"]!, "-H", "@" + env["TENANT_EMULATOR_HEADER_FILE"]!, "-X", "POST", "-H", "Content-Type: application/json",
                         "--data-binary", String(decoding: body, as: UTF8.self), url.absoluteString + "/_emulator/faults"])
        guard r.status == 0 else { throw FixtureError("fault injection failed: \(r.stderr)") }
    }

    /// Plays the person of the device code flow: waits for a pending code, then approves it as
    /// `user` (or declines it). Returns the user code.
    @discardableResult
    func decideNextDeviceCode(as user: String, deny: Bool = false) async throws -> String {
        for _ in 0..<100 {
            let pending = try await run(URL(fileURLWithPath: "/usr/bin/curl"),
                                  ["-sf", "--cacert", env["TENANT_CA"]!, "-H", "@" + env["TENANT_EMULATOR_HEADER_FILE"]!, url.absoluteString + "/_emulator/device/pending"])
            if let code = (try? JSONDecoder().decode(PendingDeviceCodes.self, from: Data(pending.stdout.utf8)))?.userCodes.first {
                let body = try JSONSerialization.data(withJSONObject: deny ? ["userCode": code, "deny": true] as [String: Any]
                                                                              : ["userCode": code, "userPrincipalName": user])
                let r = try await run(URL(fileURLWithPath: "/usr/bin/curl"),
                                ["-sf", "--cacert", env["TENANT_CA"]!, "-H", "@" + env["TENANT_EMULATOR_HEADER_FILE"]!, "-X", "POST", "-H", "Content-Type: application/json",
                                 "--data-binary", String(decoding: body, as: UTF8.self), url.absoluteString + "/_emulator/device/approve"])
                guard r.status == 0 else { throw FixtureError("approve failed: \(r.stderr)") }
                return code
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw FixtureError("no device code became pending")
    }

    func clearFaults() async throws {
        _ = try await run(URL(fileURLWithPath: "/usr/bin/curl"),
                    ["-sf", "--cacert", env["TENANT_CA"]!, "-H", "@" + env["TENANT_EMULATOR_HEADER_FILE"]!, "-X", "DELETE", url.absoluteString + "/_emulator/faults"])
    }

    func stop() async throws { _ = try await run(Paths.tenantServerScript, ["stop", name]) }

    /// SIGKILL: the server dies mid-whatever, as in a crash.
    func kill() throws {
        let pid = try String(contentsOfFile: env["TENANT_DIR"]! + "/server.pid", encoding: .utf8)
        guard let n = Int32(pid.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw FixtureError("no pid") }
        _ = Glibc.kill(n, SIGKILL)
        var status: Int32 = 0
        for _ in 0..<50 where Glibc.kill(n, 0) == 0 {
            _ = waitpid(n, &status, WNOHANG)
            usleep(100_000)
        }
    }

    func start() async throws {
        let r = try await run(Paths.tenantServerScript, ["start", name], environment: ["AADKERB_TENANT_SERVER": Paths.tenantServer.path])
        guard r.status == 0 else { throw FixtureError("scripts/tenant-server start \(name) failed: \(r.stderr)") }
    }
}

extension Fixture {
    /// The tenant server "tenant" on 127.0.0.40:8443 whose CA scripts/test puts in the bundle.
    /// Calls run one after the other, as they did when this was synchronous on the actor.
    func tenant() async throws -> TenantServerInstance {
        let previous = tenantCall
        let call = Task {
            _ = try? await previous?.value
            return try await self.startTenant()
        }
        tenantCall = call
        return try await call.value
    }

    private func startTenant() async throws -> TenantServerInstance {
        let r = try await run(Paths.tenantServerScript, ["start", "tenant", "127.0.0.40", "8443"],
                        environment: ["AADKERB_TENANT_SERVER": Paths.tenantServer.path])
        guard r.status == 0 else { throw FixtureError("scripts/tenant-server start tenant failed: \(r.stderr)") }
        let env = parseExports(try await run(Paths.tenantServerScript, ["env", "tenant"]).stdout)
        let instance = TenantServerInstance(name: "tenant", env: env)
        // URLSession trusts only the system bundle: scripts/test bind-mounts one with the test CA.
        let bundle = (try? String(contentsOfFile: "/etc/ssl/certs/ca-certificates.crt", encoding: .utf8)) ?? ""
        let ca = try String(contentsOfFile: env["TENANT_CA"]!, encoding: .utf8)
        guard bundle.contains(ca.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw FixtureError("the test CA is not in the system bundle: run the tests with scripts/test")
        }
        try await instance.clearFaults()
        return instance
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

    /// Whether a client has connected and waits in the backlog (without accepting it).
    func pendingConnections() -> Int {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&pfd, 1, 0) > 0 ? 1 : 0
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

/// Whether `needle` occurs in `haystack`.
func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, haystack.count >= needle.count else { return false }
    for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
        if Array(haystack[i..<(i + needle.count)]) == needle { return true }
    }
    return false
}

/// The `export KEY='value'` lines the fixture scripts print for `env`.
func parseExports(_ text: String) -> [String: String] { FixtureSettings(shell: text, source: "env").values }

/// What is in the credential cache before an `aadkerb --kerberos` run.
enum KerberosTickets {
    /// Nothing: no ccache file at all.
    case none
    /// `kinit` as Administrator: a TGT.
    case tgt
    /// A service ticket for ldap/<DC> only (`kinit -S`), no TGT: LDAP binds, nothing else can be asked for.
    case ldapOnly
}

extension DomainController {
    /// Connects `aadkerb` to this DC with --kerberos, by the DC's host name.
    var kerberosConnectionArguments: [String] { ["--domain", domain, "--server", "ldap://\(fqdn)", "--kerberos"] }

    /// Runs `aadkerb arguments` in a private mount namespace whose /etc/hosts names this DC, with the
    /// DC's krb5.conf and a fresh FILE ccache holding `tickets` (the password goes to kinit on stdin).
    func aadkerbWithKerberos(_ arguments: [String], tickets: KerberosTickets) async throws -> ProcessResult {
        let ccache = FileManager.default.temporaryDirectory.appendingPathComponent("aadkerb-cc-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: ccache) }
        let script = """
            mount --bind "$DC_HOSTS_FILE" /etc/hosts || exit 97
            case "$TICKETS" in
              tgt) kinit "Administrator@$DC_REALM" < "$DC_ADMIN_PASSWORD_FILE" >/dev/null || exit 98 ;;
              ldap) kinit -S "ldap/$DC_FQDN" "Administrator@$DC_REALM" < "$DC_ADMIN_PASSWORD_FILE" >/dev/null || exit 98 ;;
            esac
            exec "$AADKERB_BIN" "$@"
            """
        var env = self.env
        env["AADKERB_BIN"] = Paths.aadkerb.path
        env["KRB5_CONFIG"] = self.env["DC_KRB5_CONFIG"]
        env["KRB5CCNAME"] = "FILE:" + ccache
        switch tickets {
        case .none: env["TICKETS"] = "none"
        case .tgt: env["TICKETS"] = "tgt"
        case .ldapOnly: env["TICKETS"] = "ldap"
        }
        return try await run(URL(fileURLWithPath: "/usr/bin/unshare"), ["-m", "--propagation", "private", "--", "sh", "-c", script, "sh"] + arguments,
                       environment: env)
    }
}
