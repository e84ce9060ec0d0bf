import ArgumentParser
import Foundation
import Testing
@testable import AADKerbCLI
import AADKerbCore
import LDAPClient
import TenantAPI

/// The CLI's own logic, in-process (no binary, no server): durations, the config parser, the
/// combined exit code of several domains, the error-to-exit-code map, and the wording of the
/// core's typed outcomes.
@Suite struct IntervalTests {
    @Test(arguments: [("30d", 2_592_000.0), ("12h", 43_200), ("90m", 5_400), ("45s", 45), ("1d12h", 129_600), ("0", 0), ("2D", 172_800)])
    func parses(_ text: String, _ seconds: Double) {
        #expect(Interval(argument: text)?.seconds == seconds)
    }

    @Test(arguments: ["30", "", "d", "1x", "-1d", "1.5d", "00x"])
    func refuses(_ text: String) {
        #expect(Interval(argument: text) == nil)
    }
}

@Suite struct ConfigParserTests {
    @Test func readsKeysDomainsAndRelativePaths() throws {
        let config = try Config.parse("""
            user = 'CONTOSO\\admin'
            password-file = "secrets/pw"
            ca-file = "~/ca.pem"
            [domains."Contoso.Corp.Com"]
            server = "ldaps://dc1.contoso.corp.com"
            """, path: "/etc/aadkerb/config.toml", home: "/home/ops")
        #expect(config.user == "CONTOSO\\admin")
        #expect(config.passwordFile == "/etc/aadkerb/secrets/pw")
        #expect(config.caFile == "/home/ops/ca.pem")
        #expect(config.domain("contoso.corp.com")?.server == "ldaps://dc1.contoso.corp.com")
    }

    @Test(arguments: ["password = \"x\"", "nonsense = 1", "user = 1", "user = \"a\"\nuser = \"b\"", "[domains.x]\nport = 1", "user = "])
    func refusesSecretsUnknownKeysWrongTypesAndBadTOML(_ text: String) {
        #expect(throws: (any Error).self) { try Config.parse(text, path: "/etc/aadkerb/config.toml", home: "/root") }
    }

    @Test func aSecretInTheFileIsRefusedWithoutEchoingIt() {
        do {
            _ = try Config.parse("client-secret = \"s3cr3t-value\"", path: "/etc/aadkerb/config.toml", home: "/root")
            Issue.record("accepted a secret")
        } catch {
            #expect(!"\(error)".contains("s3cr3t-value"))
            #expect("\(error)".contains("client-secret-file"))
        }
    }
}

@Suite struct ExitStatusTests {
    @Test func severalDomainsCombine() {
        #expect(PerDomain.combined([.success, .success]) == .success)
        #expect(PerDomain.combined([.notDue, .drifted, .success]) == .drifted)
        #expect(PerDomain.combined([.drifted, .incomplete]) == .incomplete)
        #expect(PerDomain.combined([.drifted, .unreachable, .authenticationFailed]) == .unreachable, "a failure outranks a state; the first failure wins")
        #expect(PerDomain.combined([.pending, .refused]) == .pending)
    }

    @Test func everyCodeHasADistinctNameAndValue() {
        let all = ExitStatus.allCases
        #expect(Set(all.map(\.rawValue)).count == all.count)
        #expect(Set(all.map(\.name)).count == all.count)
    }

    @Test func errorsMapToTheirCodes() {
        #expect(ExitStatus(RotationError.notConfigured(domain: "a.b", problems: [])) == .incomplete)
        #expect(ExitStatus(RotationError.tenantChanged(domain: "a.b", kvno: 2, duringRotation: true)) == .failure)
        #expect(ExitStatus(LDAPError(code: .invalidCredentials, operation: "bind")) == .authenticationFailed)
        #expect(ExitStatus(StoreConflict("412")) == .tenantFailure)
        #expect(ExitStatus(CLIError.usage("x")) == .usage)
    }
}

/// What every start pays for the command tree.
@Suite struct CommandTreeTests {
    /// ArgumentParser names a command without a commandName from `String(describing:)` of its type,
    /// which demangles the type name through the runtime: a tenth of a one-domain get's
    /// instructions, for every command in the tree on every start (docs/performance.md).
    @Test func everyCommandNamesItself() {
        var pending: [any ParsableCommand.Type] = [AADKerb.self]
        var seen = 0
        while let command = pending.popLast() {
            seen += 1
            #expect(command.configuration.commandName != nil, "\(command) has no commandName")
            pending += command.configuration.subcommands
        }
        #expect(seen >= 15, "the tree was walked: \(seen) commands")
    }

    /// "Did you mean", now worked out only after the parser has refused the arguments (start()).
    @Test func suggestionsStillNameTheClosestCommandAndOption() {
        #expect(Suggestions.check(["gte"])?.contains("did you mean 'get'?") == true)
        #expect(Suggestions.check(["get", "--domian", "x"])?.contains("did you mean '--domain'?") == true)
        #expect(Suggestions.check(["policy", "shwo"])?.contains("did you mean 'show'?") == true)
        #expect(Suggestions.check(["get", "--domain", "x"]) == nil)
    }
}

/// Swift 6.3.1 at -O loses the elements of an async closure's or function's tuple result that are
/// written before a `try await` inside do/catch when the catch writes them too (a task-group child,
/// `Task {}`, a generic async result): they arrive as 0 or garbage. It printed multi-domain reports
/// under other domains' names (docs/performance.md; swiftlang/swift#91911, reverted in #92155).
/// The tests build debug, where it never shows, so the shape is kept out of the sources instead:
/// await into a local, then build the tuple.
@Suite struct CompilerFaultShapeTests {
    /// `return (a, ... await ...)` or `{ (a, ... await ...) }` on one line.
    static func hasShape(_ line: Substring) -> Bool {
        line.contains("await") && line.contains(/(?:return|\{)\s*\([^,()]*(?:\([^()]*\)[^,()]*)*,.*\bawait\b/)
    }

    @Test func theCheckFindsTheShapeAndPassesTheWorkaround() {
        #expect(Self.hasShape("do { return (index, .success(try await body(target))) } catch { return (index, .failure(error)) }"))
        #expect(Self.hasShape("    do { return (i, try await work(i)) } catch { return (i, -1) }"))
        #expect(Self.hasShape("group.addTask { (host, try await check(host)) }"))
        #expect(Self.hasShape("return (dn(of: x), await read(x))"))
        #expect(!Self.hasShape("let result = try await body(target); return (index, .success(result))"))
        #expect(!Self.hasShape("return (try await first(), second)"))
        #expect(!Self.hasShape("let shown = try decodeOutput(Output.self, try await aadkerb([\"a\", \"b\"]).stdout)"))
    }

    @Test func noSourceReturnsATupleWithAnAwaitAfterAnotherElement() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let sources = root.appendingPathComponent("Sources")
        var files = 0
        var found: [String] = []
        let walker = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
        while let file = walker?.nextObject() as? URL {
            guard file.pathExtension == "swift" else { continue }
            files += 1
            let text = try String(contentsOf: file, encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where Self.hasShape(line) {
                found.append("\(file.path.dropFirst(root.path.count + 1)):\(number + 1): \(line.trimmingCharacters(in: .whitespaces))")
            }
        }
        #expect(files > 100, "the sources were read: \(files) files")
        #expect(found.isEmpty, "await into a local first: \(found.joined(separator: "\n"))")
    }
}

@Suite struct WordingTests {
    @Test func coreErrorsGetTheCommandToRunNext() {
        #expect(errorMessage(RotationError.cloudMissing(domain: "a.b")).hasSuffix("run aadkerb set --tenant ... first"))
        #expect(!"\(RotationError.cloudMissing(domain: "a.b"))".contains("aadkerb"), "the core names no command")
        #expect(errorMessage(AADKerbError.domainMismatch(requested: "a.b", served: "c.d", server: "ldaps://x")).contains("point --server at a DC of a.b"))
    }

    @Test func rotationReasonsReadAsBeforeAndSayWhatADryRunWouldDo() {
        #expect(RotationReason.rotated(from: 2, to: 3).text(dryRun: false) == "rotated: kvno 2 -> 3 on both sides")
        #expect(RotationReason.wouldRotate(from: 2).text(dryRun: true) == "would rotate")
        #expect(RotationReason.publishedDCKey(tenantKvno: nil, kvno: 4).text(dryRun: true)
                == "would publish the DC's key: the tenant's key (none) is not the DC's current key (kvno 4)")
        #expect(RotationReason.notDue(age: 3600, minimumAge: 86400 * 30).text(dryRun: false) == "not due: the key is 1h 0m old, --min-age is 30d 0h")
        let lagging = [DCKeyState(name: "dc2", kvno: 3, converged: false)]
        #expect(RotationReason.notReplicated(kvno: 4, lagging: lagging, newKey: true, kept: 3).text(dryRun: false).contains("dc2 (kvno 3)"))
    }

    @Test func doctorFixesNameTheCommand() {
        #expect(DoctorFix.create(domain: "a.b").text == "aadkerb set --domain a.b --tenant ...")
        #expect(DoctorFix.advice("x").text == "x")
    }

    @Test func stepsReportsSayWhatNothingToDoMeans() {
        #expect(StepsReport(command: .policy("policy allow"), domain: "a.b", dryRun: false, steps: [], notes: []).table.contains("reveal policy"))
        #expect(StepsReport(command: .remove, domain: "a.b", dryRun: false, steps: [], notes: []).table.hasPrefix("Nothing to remove"))
    }
}

/// JSON output: Foundation's empty arrays written as `[]`, nothing else touched.
@Suite struct JSONOutputTests {
    struct Sample: Encodable {
        let empty: [String]
        let nested: [[Int]]
        let items: [String]
        let text: String
    }

    @Test func emptyArraysAreWrittenOnOneLine() throws {
        let text = JSON.encode(Sample(empty: [], nested: [[], [1]], items: ["a [ ] b", "[", "]"], text: "[\t]"))
        #expect(text.contains("\"empty\" : []"))
        #expect(!text.contains("[\n\n"), "\(text)")
        // strings keep their brackets and spaces, and the document is the same JSON as before
        let decoded = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(decoded["empty"] as? [String] == [])
        #expect(decoded["nested"] as? [[Int]] == [[], [1]])
        #expect(decoded["items"] as? [String] == ["a [ ] b", "[", "]"])
        #expect(decoded["text"] as? String == "[\t]")
    }

    @Test func onlyALineBreakInsideTheBracketsMakesAnEmptyArray() {
        func collapse(_ s: String) -> String { String(decoding: JSON.collapsingEmptyArrays(Array(s.utf8)), as: UTF8.self) }
        #expect(collapse("[\n\n  ]") == "[]")
        #expect(collapse("{\"a\" : [\n\n  ],\n\"b\" : [\n    1\n  ]}") == "{\"a\" : [],\n\"b\" : [\n    1\n  ]}")
        #expect(collapse("\"[  ]\"") == "\"[  ]\"")   // no line break: a string's text, left alone
        #expect(collapse("[") == "[")
        #expect(collapse("[\n") == "[\n")
    }
}
