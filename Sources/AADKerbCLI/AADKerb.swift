import ArgumentParser
import Foundation
import OpenSSLSupport

/// The root command. `start()` is the executable's whole body (Sources/aadkerb/main.swift).
public struct AADKerb: AsyncParsableCommand {
    static let version = "0.1.0"

    public init() {}

    public static func start() async {
        // no core dump, no ptrace, no secret left in /proc/<pid>/environ (docs/security.md)
        ProcessHardening.apply()
        // A DC or tenant server that goes away mid-request must be an error the command reports
        // (exit 12), not a SIGPIPE that kills the process while libldap writes to the socket.
        signal(SIGPIPE, SIG_IGN)
        // No OpenSSL cleanup at exit: it races URLSession's own teardown (an intermittent SIGSEGV
        // after the work is done, seen once in the test suite; swift-corelibs-foundation#5469).
        OpenSSLProcess.disableExitCleanup()
        let arguments = Array(CommandLine.arguments.dropFirst())
        // a Nagios plugin answers bad arguments with UNKNOWN (3) and a status line, not 64
        let nagios = zip(arguments, arguments.dropFirst()).contains { ["-o", "--output"].contains($0) && $1 == "nagios" }
            || arguments.contains("--output=nagios")
        // Parse first: "did you mean" is worked out only for arguments the parser refused, since
        // it renders each command's help to learn its options (16 M of a one-domain get's 96 M
        // instructions when it ran on every start; docs/performance.md).
        let command: ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            if let message = Suggestions.check(arguments) {
                Terminal.writeErr(message)
                if nagios { Terminal.writeOut("AADKERB UNKNOWN - \(message)"); Glibc.exit(3) }
                Glibc.exit(ExitStatus.usage.rawValue)
            }
            if nagios, Self.exitCode(for: error) == .validationFailure {
                let message = Self.message(for: error)
                Terminal.writeErr("aadkerb: error: \(message)")
                Terminal.writeOut("AADKERB UNKNOWN - \(message)".replacingOccurrences(of: "\n", with: " "))
                Glibc.exit(3)
            }
            exit(withError: error)
        }
        // What AsyncParsableCommand.main(_:) does, spelled out: from another module the call
        // resolves to ParsableCommand's synchronous main, which refuses an async root.
        do {
            var command = command
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    public static let configuration = CommandConfiguration(
        commandName: "aadkerb",
        abstract: "Manage the Azure AD (Entra ID) Kerberos server of AD DS domains from Linux.",
        discussion: """
            An Azure AD Kerberos server is three objects in an AD DS domain (the read-only DC computer \
            CN=AzureADKerberos,OU=Domain Controllers; the disabled krbtgt_AzureAD account that holds the \
            TGT key; a service connection point under CN=AzureAD,CN=System) and a KerberosDomain object \
            in the cloud tenant. aadkerb reads and compares them (get), creates and repairs them (set), \
            rotates the key on both sides (rotate) and deletes them (remove).

            Passwords and keys are never taken from the command line: use a prompt, --password-file, \
            --password-stdin or AADKERB_DOMAIN_PASSWORD. Exit codes are listed in docs/exit-codes.md; \
            `aadkerb get --help` lists the ones get uses.

            \(Manual.configFileText)
            """,
        version: version,
        subcommands: [GetCommand.self, SetCommand.self, RotateCommand.self, RemoveCommand.self, DoctorCommand.self, PolicyCommand.self, DcsCommand.self, VerifyCommand.self,
                      ManualSectionsCommand.self])
}
