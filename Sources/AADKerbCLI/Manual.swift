import ArgumentParser

/// What `--help` and the man pages say beyond the options, written once: examples (each line
/// fits 80 columns, so no terminal breaks a command in the middle), the exit codes of each
/// command, the environment and the files. scripts/man splices the mdoc of `manual-sections`
/// into the pages swift-argument-parser generates.
enum Manual {
    /// Where the config file is looked for, as --help says it.
    static let configFileText = """
        Defaults come from the config file: $AADKERB_CONFIG, else \
        $XDG_CONFIG_HOME/aadkerb/config.toml, else ~/.config/aadkerb/config.toml \
        (docs/configuration.md; the command line wins over it).
        """

    /// One example: an optional comment line and the command, continued with `\`.
    struct Example {
        var comment: String?
        var lines: [String]
        init(_ comment: String? = nil, _ lines: String...) {
            self.comment = comment
            self.lines = lines
        }
    }

    static let examples: [String: [Example]] = [
        "get": [
            Example(nil, "aadkerb get --domain contoso.corp.com --user admin \\", "    --password-file ~/.aadkerb-pass"),
            Example("both sides, JSON for a pipeline", "aadkerb get --domain contoso.corp.com --user admin --password-stdin \\",
                    "    --tenant contoso --tenant-endpoint https://tenant-api.example \\",
                    "    --client-id app --client-secret-file app.secret -o json \\", "    < pass | jq .SyncStatus"),
            Example("the cloud object only", "aadkerb get --domain contoso.corp.com --cloud-only --tenant contoso ..."),
            Example("two domains: one JSON array element each", "aadkerb get --domain contoso.corp.com --domain fabrikam.com \\",
                    "    --user admin@contoso.corp.com --password-file ~/.aadkerb-pass -o json"),
        ],
        "set": [
            Example("see the plan, then create or repair both sides", "aadkerb set --domain contoso.corp.com --user admin \\",
                    "    --password-file pass --tenant contoso ... --dry-run"),
            Example(nil, "aadkerb set --domain contoso.corp.com --user admin \\", "    --password-file pass --tenant contoso ..."),
        ],
        "rotate": [
            Example("cron, monthly: rotate when the key is 30 days old", "aadkerb rotate --domain contoso.corp.com --min-age 30d -o json",
                    ),
            Example("the same without a config file", "aadkerb rotate --domain contoso.corp.com --user svc-aadkerb \\",
                    "    --password-file /etc/aadkerb/pass --tenant contoso \\",
                    "    --client-id aadkerb-rotator --client-certificate cert.pem \\",
                    "    --client-key key.pem --min-age 30d -o json"),
            Example(nil, "aadkerb rotate --domain contoso.corp.com ... --dry-run"),
        ],
        "remove": [
            Example("lists what it would delete, then asks", "aadkerb remove --domain contoso.corp.com --user admin \\",
                    "    --password-file pass --tenant contoso ..."),
            Example("from a script", "aadkerb remove --domain contoso.corp.com ... --yes"),
        ],
        "doctor": [
            Example(nil, "aadkerb doctor --domain contoso.corp.com --user admin --password-file pass"),
            Example("with the sign-in proof of verify", "aadkerb doctor --domain contoso.corp.com ... --tenant contoso ... \\",
                    "    --sign-in alice"),
        ],
        "dcs": [
            Example(nil, "aadkerb dcs --domain contoso.corp.com --user admin --password-file pass"),
            Example("a site's DCs first, asking a given DNS server", "aadkerb dcs --domain contoso.corp.com ... --site Paris \\",
                    "    --dns-server 10.0.0.53"),
        ],
        "verify": [
            Example(nil, "aadkerb verify --domain contoso.corp.com --user admin \\", "    --password-file pass --sign-in alice"),
            Example("the tenant's own ticket, two users, JSON", "aadkerb verify --domain contoso.corp.com ... --tenant contoso ... \\",
                    "    --sign-in alice --sign-in bob@contoso.corp.com -o json"),
        ],
        "policy": [
            Example(nil, "aadkerb policy show --domain contoso.corp.com --user admin \\", "    --password-file pass"),
            Example(nil, "aadkerb policy deny --domain contoso.corp.com ... \"Tier0 Admins\" --dry-run"),
            Example(nil, "aadkerb policy allow --domain contoso.corp.com ... --remove \"Domain Users\""),
            Example(nil, "aadkerb policy explain --domain contoso.corp.com ... alice"),
        ],
    ]

    /// The examples block of a command's --help discussion, with the config file's place.
    static func helpFooter(_ command: String) -> String {
        var text = ""
        if let list = examples[command], !list.isEmpty {
            text += "Examples:\n" + list.map { example in
                (example.comment.map { ["  # " + $0] } ?? []) + example.lines.map { "  " + $0 }
            }.map { $0.joined(separator: "\n") }.joined(separator: "\n") + "\n\n"
        }
        return text + configFileText
    }

    /// Failures every command that reaches a DC can report.
    static let connectionFailures: [ExitStatus] = [.failure, .authenticationFailed, .accessDenied, .unreachable, .tlsFailure,
                                                   .encryptionRequired, .timeout, .wrongDomain]
    static let inputFailures: [ExitStatus] = [.usage, .unreadableInput]

    /// The exit codes each command uses (docs/exit-codes.md).
    static func exitCodes(_ command: String) -> [ExitStatus] {
        let states: [ExitStatus] = switch command {
        case "get": [.success, .notConfigured, .drifted, .incomplete]
        case "set": [.success]
        case "rotate": [.success, .notConfigured, .incomplete, .notDue, .refused, .pending]
        case "remove": [.success, .declined]
        case "doctor": [.success, .checksWarned, .checksFailed]
        case "dcs": [.success, .drifted]
        case "verify": [.success, .notConfigured, .signInRefused]
        case "policy": [.success, .notConfigured]
        default: [.success]
        }
        let tenant: [ExitStatus] = ["dcs", "policy"].contains(command) ? [] : [.tenantFailure]
        return states + connectionFailures + tenant + inputFailures
    }

    /// What each exit code means, in one line.
    static func meaning(_ status: ExitStatus, command: String) -> String {
        switch status {
        case .success: return command == "get" ? "configured (and in sync, when the cloud was read)" : "success"
        case .failure: return "any failure not listed here; the message says what"
        case .notConfigured: return "nothing is configured in the domain"
        case .drifted: return command == "dcs" ? "a DC did not answer, holds another key version, or DNS and the directory disagree"
            : "both sides exist but a pair (Id, DomainDnsName, DisplayName, KeyVersion, KeyUpdatedOn) differs"
        case .incomplete: return "on-prem objects missing or contradicting each other, or one side missing"
        case .notDue: return "the key is younger than --min-age; nothing done"
        case .refused: return "within the ticket lifetime of the last rotation, or another run holds the lease"
        case .checksWarned: return "warnings, no failed check"
        case .checksFailed: return "at least one check failed"
        case .authenticationFailed: return "the DC or the tenant rejected the credentials"
        case .accessDenied: return "the account or client lacks the rights"
        case .unreachable: return "no connection: the name does not resolve, nothing listens, or the network refuses"
        case .tlsFailure: return "TLS failed: the wrong port for the scheme, or the certificate (issuer, name, expiry)"
        case .encryptionRequired: return "the DC refuses a simple bind without TLS"
        case .timeout: return "--connect-timeout or --timeout ran out"
        case .wrongDomain: return "the DC serves another domain than --domain"
        case .tenantFailure: return "the tenant API failed otherwise (5xx after retries, 409, 412)"
        case .pending: return "a new key is not yet on every writable DC; nothing was published"
        case .signInRefused: return "a DC refused the cloud's ticket for at least one user"
        case .declined: return "the answer at the prompt was not yes; nothing was changed"
        case .usage: return "invalid options or domain name, or no credentials source"
        case .unreadableInput: return "a password, secret, CA or config file cannot be read or holds nothing usable"
        }
    }

    /// Every environment variable aadkerb reads.
    static let environment: [(String, String)] = [
        ("AADKERB_CONFIG", "the config file to read (it must exist)"),
        ("AADKERB_DOMAIN_USER", "the account to bind as, when --user is not given"),
        ("AADKERB_DOMAIN_PASSWORD", "the domain password (removed from the environment at start)"),
        ("AADKERB_TENANT", "the tenant id or name, when --tenant is not given"),
        ("AADKERB_TENANT_ENDPOINT", "the tenant API's base URL"),
        ("AADKERB_CLIENT_ID", "the application (client) id"),
        ("AADKERB_CLIENT_SECRET", "the client secret (removed from the environment at start)"),
        ("AADKERB_ACCESS_TOKEN", "a ready access token (removed from the environment at start)"),
        ("AADKERB_TENANT_KEYS", "the file of pinned tenant key-encryption keys"),
        ("AADKERB_LOG_FILE", "append the structured trace to this file, as --log-file"),
        ("AADKERB_ALLOW_READABLE_SECRET_FILES", "1: accept secret files that others may read (not advised)"),
        ("KRB5CCNAME", "the Kerberos credential cache for --kerberos"),
        ("XDG_CONFIG_HOME", "where the config file is looked for (default ~/.config)"),
        ("XDG_STATE_HOME", "where the pinned tenant keys are kept (default ~/.local/state)"),
    ]

    static let files: [(String, String)] = [
        ("$XDG_CONFIG_HOME/aadkerb/config.toml", "the config file (~/.config/aadkerb/config.toml); not writable by others"),
        ("$XDG_STATE_HOME/aadkerb/tenant-keys", "the tenant key-encryption keys pinned at first use"),
    ]

    /// The mdoc sections scripts/man adds to a command's page (`aadkerb` for the top page).
    static func mdoc(_ command: String) -> String {
        func escaped(_ text: String) -> String {
            text.replacingOccurrences(of: "\\", with: "\\e").split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.hasPrefix(".") || $0.hasPrefix("'") ? "\\&" + $0 : String($0) }.joined(separator: "\n")
        }
        var out = ".Sh EXIT STATUS\n"
        let codes = (command == "aadkerb" ? ExitStatus.allCases : exitCodes(command)).sorted { $0.rawValue < $1.rawValue }
        out += ".Bl -tag -width 4n\n"
        for status in codes {
            out += ".It \(status.rawValue)\n" + escaped("\(status.name): \(meaning(status, command: command))") + "\n"
        }
        out += ".El\n.Pp\n"
        out += "With several --domain values the exit code combines theirs (docs/exit-codes.md).\n"
        out += ".Sh ENVIRONMENT\n.Bl -tag -width 6n\n"
        for (name, text) in environment { out += ".It Ev \(name)\n" + escaped(text) + "\n" }
        out += ".El\n"
        out += ".Sh FILES\n.Bl -tag -width 6n\n"
        for (path, text) in files { out += ".It Pa \(path)\n" + escaped(text) + "\n" }
        out += ".El\n"
        if let list = examples[command], !list.isEmpty {
            out += ".Sh EXAMPLES\n"
            for example in list {
                if let comment = example.comment { out += escaped(comment.prefix(1).uppercased() + comment.dropFirst()) + ":\n" }
                out += ".Bd -literal -offset indent\n" + escaped(example.lines.joined(separator: "\n")) + "\n.Ed\n"
            }
        }
        return out
    }
}

/// `aadkerb manual-sections <command>`: the mdoc sections of a man page (for scripts/man); hidden.
struct ManualSectionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manual-sections", abstract: "Print the EXIT STATUS, ENVIRONMENT, FILES and EXAMPLES sections of a man page (mdoc).",
        shouldDisplay: false)

    @Argument(help: "The command (aadkerb for the top page).")
    var command: String

    func run() throws {
        print(Manual.mdoc(command), terminator: "")
    }
}
