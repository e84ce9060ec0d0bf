import Foundation
import Testing

/// The README's two commands must work on a Debian 12 machine with only Swift: one script,
/// scripts/install-deps, installs every package, and the demo, the tests, the benchmarks and CI
/// all run it before they build (issue: `ldap.h` not found on a fresh machine).
@Suite struct InstallScriptTests {
    func text(_ path: String) throws -> String {
        try String(contentsOf: Paths.packageRoot.appendingPathComponent(path), encoding: .utf8)
    }

    /// The packages a bash array assignment `NAME=(...)` in install-deps lists.
    func array(_ name: String, in script: String) throws -> Set<String> {
        let start = try #require(script.range(of: "\n\(name)=("), "no \(name)=( in scripts/install-deps")
        let end = try #require(script[start.upperBound...].firstIndex(of: ")"))
        return Set(script[start.upperBound..<end].split(whereSeparator: \.isWhitespace).map(String.init))
    }

    @Test func everyPackageThePackageManifestNamesIsInstalledByTheScript() async throws {
        let manifest = try text("Package.swift")
        let build = try array("BUILD", in: try text("scripts/install-deps"))
        // .apt(["libldap2-dev"]) and the like: what the system-library targets need
        let named = manifest.components(separatedBy: ".apt([").dropFirst().flatMap { rest in
            rest.prefix { $0 != "]" }.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \"")) }
        }
        #expect(!named.isEmpty)
        for package in named { #expect(build.contains(package), "Package.swift needs \(package); scripts/install-deps --build does not install it") }
        #expect(build.contains("libcurl4-openssl-dev"), "FoundationNetworking's static link needs libcurl4-openssl-dev")
    }

    @Test(arguments: ["scripts/demo", "scripts/test", ".ci/run", "bench/run", "bench/scale"])
    func installsBeforeItBuilds(_ script: String) async throws {
        let lines = try text(script).split(separator: "\n").map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }
        let install = try #require(lines.firstIndex { $0.contains("scripts/install-deps") }, "\(script) never runs scripts/install-deps")
        let build = lines.firstIndex { $0.contains("swift build") || $0.contains("swift test") || $0.contains("scripts/test") }
        #expect(build.map { install < $0 } ?? true, "\(script) builds before it installs the packages")
    }

    @Test func theScriptFindsNothingMissingOnThisMachine() async throws {
        let check = try await run(Paths.packageRoot.appendingPathComponent("scripts/install-deps"), ["--check"])
        #expect(check.status == 0, "\(check.stderr)")
        let bad = try await run(Paths.packageRoot.appendingPathComponent("scripts/install-deps"), ["--bogus"])
        #expect(bad.status == 64 && bad.stderr.contains("unknown option"))
    }
}
