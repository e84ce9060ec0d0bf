import Foundation
import Testing

/// Issue "first contact", 2.10: --help, man pages and completions teach.
@Suite struct HelpAndManualTests {
    static let commands = ["get", "set", "rotate", "remove", "doctor", "dcs", "verify", "policy"]

    /// At 80 columns no line of --help is wider, and no example is broken in the middle of a
    /// command: every line of the Examples block is an indented command, continuation or comment.
    @Test(arguments: commands)
    func helpFitsEightyColumnsWithWholeExamples(command: String) async throws {
        let help = try await aadkerb([command, "--help"], environment: ["COLUMNS": "80"])
        #expect(help.status == 0)
        let lines = help.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        for line in lines { #expect(line.count <= 80, "\(command) --help: \(line.count) columns: \(line)") }
        let start = try #require(lines.firstIndex(of: "Examples:"), "\(command) --help has no Examples")
        for line in lines[(start + 1)...].prefix(while: { !$0.isEmpty }) {
            #expect(line.hasPrefix("  aadkerb ") || line.hasPrefix("      ") || line.hasPrefix("  # "),
                    "\(command): an example line broken by wrapping: \(line)")
        }
        #expect(help.stdout.contains("~/.config/aadkerb/config.toml") && help.stdout.contains("$AADKERB_CONFIG"),
                "\(command) --help does not say where the config file lives")
    }

    /// The man page sections scripts/man adds: the command's own exit codes, every environment
    /// variable, the files, the examples.
    @Test func manualSectionsHoldExitCodesEnvironmentFilesAndExamples() async throws {
        let rotate = try await aadkerb(["manual-sections", "rotate"])
        #expect(rotate.status == 0)
        for code in [0, 6, 7, 18, 10, 12, 13, 64, 66] {
            #expect(rotate.stdout.contains("\n.It \(code)\n"), "rotate's EXIT STATUS lacks \(code)")
        }
        #expect(!rotate.stdout.contains("\n.It 19\n"), "19 is verify's")
        for section in [".Sh EXIT STATUS", ".Sh ENVIRONMENT", ".Sh FILES", ".Sh EXAMPLES"] {
            #expect(rotate.stdout.contains(section))
        }
        // every AADKERB_* variable the sources read is documented
        let sources = try FileManager.default.contentsOfDirectory(atPath: Paths.packageRoot.path + "/Sources/AADKerbCLI")
        var read = Set<String>()
        for file in sources where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: Paths.packageRoot.path + "/Sources/AADKerbCLI/" + file, encoding: .utf8)
            for match in text.matches(of: /"(AADKERB_[A-Z_]+)"/) { read.insert(String(match.1)) }
        }
        #expect(read.count >= 10)
        for name in read { #expect(rotate.stdout.contains(".It Ev \(name)\n"), "\(name) is not in ENVIRONMENT") }
        let top = try await aadkerb(["manual-sections", "aadkerb"])
        #expect(top.stdout.contains("\n.It 20\n") && top.stdout.contains("\n.It 19\n"))
        // hidden from --help: a tool for scripts/man
        #expect(!(try await aadkerb(["--help"])).stdout.contains("manual-sections"))
    }

    /// Completions offer paths for file options and the config file's domains for --domain.
    @Test func completionsOfferFilesAndConfiguredDomains() async throws {
        let bash = try await aadkerb(["--generate-completion-script", "bash"])
        for option in ["--ca-file", "--password-file", "--client-secret-file", "--log-file"] {
            #expect(bash.stdout.contains("'\(option)')\n        __aadkerb_add_completions -f"), "\(option) does not complete paths")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aadkerb-complete-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("config.toml")
        try Data("[domains.\"contoso.corp.com\"]\nserver = \"ldaps://dc1.contoso.corp.com\"\n[domains.\"fabrikam.com\"]\nserver = \"dc1.fabrikam.com\"\n".utf8)
            .write(to: config)
        // as bash calls it: the command, the option, COMP_CWORD, the cursor, then the words typed
        let asked = try await aadkerb(["---completion", "get", "--", "--domain", "3", "2", "aadkerb", "get", "--domain", "co"],
                                environment: ["AADKERB_CONFIG": config.path])
        #expect(asked.status == 0, "\(asked.stderr)")
        #expect(asked.stdout == "contoso.corp.com\n", "\(asked.stdout)")
        let all = try await aadkerb(["---completion", "rotate", "--", "--domain", "3", "0", "aadkerb", "rotate", "--domain", ""],
                              environment: ["AADKERB_CONFIG": config.path])
        #expect(all.stdout == "contoso.corp.com\nfabrikam.com\n", "\(all.stdout)")
    }
}
