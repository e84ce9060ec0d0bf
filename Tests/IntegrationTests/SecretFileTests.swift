import Foundation
import TestSupport
import Testing

/// Files that hold secrets or decide where they go (security issue, item 8): read through one
/// descriptor opened with O_NOFOLLOW, refused when group or others can read them (as ssh refuses
/// a private key), when they are links or not regular files; a config file others can write is
/// refused; the log file is never followed through a link.
@Suite struct SecretFileTests {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("aadkerb-secret-files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    func file(_ name: String, _ text: String, mode: Int) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    @Test func passwordFiles() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let dc = try await Fixture.shared.dc("fabrikam")
        let password = try String(contentsOfFile: dc.passwordFile, encoding: .utf8)
        func get(_ passwordFile: String, environment: [String: String] = [:]) async throws -> ProcessResult {
            try await aadkerb(["get", "--domain", dc.domain, "--server", dc.uri, "--ca-file", dc.caFile, "--user", "Administrator",
                         "--password-file", passwordFile, "-o", "json"], environment: environment)
        }
        let loose = try file("loose.pass", password, mode: 0o644)
        let refused = try await get(loose)
        #expect(refused.status == 66 && refused.stderr.contains("readable by other users (mode 644)") && refused.stderr.contains("chmod 600"),
                "\(refused.stderr)")
        #expect(try await get(loose, environment: ["AADKERB_ALLOW_READABLE_SECRET_FILES": "1"]).status != 66)

        let tight = try file("tight.pass", password, mode: 0o600)
        #expect([0, 3, 4, 5].contains(try await get(tight).status))
        let link = dir.appendingPathComponent("link.pass").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: tight)
        let viaLink = try await get(link)
        #expect(viaLink.status == 66 && viaLink.stderr.contains("symbolic link"), "\(viaLink.stderr)")
        let directory = try await get(dir.path)
        #expect(directory.status == 66 && directory.stderr.contains("not a regular file (a directory)"), "\(directory.stderr)")
        #expect(!directory.stderr.contains("NSCocoaErrorDomain"))
        let missing = try await get(dir.appendingPathComponent("nope").path)
        #expect(missing.status == 66 && missing.stderr.contains("No such file"), "\(missing.stderr)")
        for result in [refused, viaLink, directory] { #expect(!result.stderr.contains(password.trimmingCharacters(in: .newlines))) }
    }

    @Test func configFileOthersCanWriteIsRefusedAndTheLogFileIsNotFollowed() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try file("config.toml", "user = \"Administrator\"\n", mode: 0o666)
        let refused = try await aadkerb(["get", "--domain", "fabrikam.com"], environment: ["AADKERB_CONFIG": config])
        #expect(refused.status == 66 && refused.stderr.contains("writable by other users"), "\(refused.stderr)")

        let target = try file("elsewhere", "", mode: 0o600)
        let link = dir.appendingPathComponent("trace.log").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let logged = try await aadkerb(["get", "--domain", "fabrikam.com", "--log-file", link, "--user", "x", "--password-stdin"], stdin: "x\n")
        #expect(logged.status == 66 && logged.stderr.contains("cannot open the log file"), "\(logged.stderr)")
        #expect(try String(contentsOfFile: target, encoding: .utf8).isEmpty)
    }
}
