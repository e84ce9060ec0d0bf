import AADKerbCore
import Foundation

/// Defaults from a config file, so cron lines and admins need not repeat them
/// (docs/configuration.md). Precedence: command line, then environment, then this file.
///
/// A small TOML subset: `key = "string" | true | false | number`, `#` comments, and tables
/// `[domains."contoso.corp.com"]` with per-domain `server` and `ca-file`. Secrets never go here:
/// `password`, `client-secret` and `access-token` are refused; point at files instead.
struct Config: Sendable, Equatable {
    struct Domain: Sendable, Equatable {
        var server: String?
        var caFile: String?
    }
    var user: String?
    var passwordFile: String?
    var caFile: String?
    var kerberos = false
    var tenant: String?
    var tenantEndpoint: String?
    var authority: String?
    var clientID: String?
    var clientSecretFile: String?
    var clientCertificate: String?
    var clientKey: String?
    var accessTokenFile: String?
    var domains: [String: Domain] = [:]
    /// Where it was read from, for messages; nil when there is no file.
    var path: String?

    static let topLevelKeys: Set = ["user", "password-file", "ca-file", "kerberos", "tenant", "tenant-endpoint", "authority",
                                    "client-id", "client-secret-file", "client-certificate", "client-key", "access-token-file"]
    static let domainKeys: Set = ["server", "ca-file"]
    static let secretKeys: [String: String] = ["password": "password-file", "client-secret": "client-secret-file",
                                                "access-token": "access-token-file", "secret": "client-secret-file"]

    func domain(_ name: String) -> Domain? { domains[name.lowercased()] }

    /// The process's config, read once. A broken file is an error every command reports (64).
    private static let shared: Result<Config, any Error> = Result { try load() }
    static func current() throws -> Config { try shared.get() }

    /// The file named by AADKERB_CONFIG, else $XDG_CONFIG_HOME/aadkerb/config.toml, else
    /// ~/.config/aadkerb/config.toml; no file is an empty config, except that a file named by
    /// AADKERB_CONFIG must exist.
    static func load(environment: [String: String] = ProcessHardening.environment) throws -> Config {
        let path: String
        if let explicit = environment["AADKERB_CONFIG"], !explicit.isEmpty {
            guard FileManager.default.fileExists(atPath: explicit) else {
                throw CLIError.unreadable("AADKERB_CONFIG names \(explicit), which does not exist")
            }
            path = explicit
        } else {
            let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
                ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.config"
            path = base + "/aadkerb/config.toml"
            guard FileManager.default.fileExists(atPath: path) else { return Config() }
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError.unreadable("cannot read the config file \(path)") }
        // it decides the endpoints, the CA and the account: refuse one that others may have changed
        if let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int, mode & 0o022 != 0 {
            throw CLIError.unreadable(String(format: "the config file %@ is writable by other users (mode %03o): chmod go-w it", path, mode))
        }
        var config = try parse(String(decoding: data, as: UTF8.self), path: path)
        config.path = path
        return config
    }

    static func parse(_ text: String, path: String) throws -> Config {
        var config = Config()
        var table: String?  // the domain of the current [domains."..."] table
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let where_ = "\(path):\(index + 1)"
            let line = stripComment(String(rawLine)).trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else { throw CLIError.usage("\(where_): a table header ends with ]") }
                let inner = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                guard inner.hasPrefix("domains.") else {
                    throw CLIError.usage("\(where_): unknown table [\(inner)]; only [domains.\"<dns-name>\"] exists")
                }
                var name = String(inner.dropFirst("domains.".count))
                if name.hasPrefix("\"") {
                    guard name.count >= 2, name.hasSuffix("\"") else { throw CLIError.usage("\(where_): unterminated domain name") }
                    name = String(name.dropFirst().dropLast())
                }
                _ = try DomainName(name)
                table = name.lowercased()
                if config.domains[table!] == nil { config.domains[table!] = Domain() }
                continue
            }
            guard let eq = line.firstIndex(of: "=") else { throw CLIError.usage("\(where_): expected key = value") }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            let value = try Value(String(line[line.index(after: eq)...]).trimmingCharacters(in: .whitespaces), at: where_)
            if let instead = secretKeys[key] {
                throw CLIError.usage("\(where_): secrets do not go in the config file; set \(instead) to a file (mode 0600) instead of \(key)")
            }
            if let table {
                guard domainKeys.contains(key) else {
                    throw CLIError.usage("\(where_): unknown key \(key) in a domain table (known: \(domainKeys.sorted().joined(separator: ", ")))")
                }
                let string = try value.string(key, at: where_)
                if key == "server" { config.domains[table]!.server = string } else { config.domains[table]!.caFile = string }
                continue
            }
            guard topLevelKeys.contains(key) else {
                throw CLIError.usage("\(where_): unknown key \(key) (known: \(topLevelKeys.sorted().joined(separator: ", ")))")
            }
            switch key {
            case "kerberos": config.kerberos = try value.bool(key, at: where_)
            case "user": config.user = try value.string(key, at: where_)
            case "password-file": config.passwordFile = try value.string(key, at: where_)
            case "ca-file": config.caFile = try value.string(key, at: where_)
            case "tenant": config.tenant = try value.string(key, at: where_)
            case "tenant-endpoint": config.tenantEndpoint = try value.string(key, at: where_)
            case "authority": config.authority = try value.string(key, at: where_)
            case "client-id": config.clientID = try value.string(key, at: where_)
            case "client-secret-file": config.clientSecretFile = try value.string(key, at: where_)
            case "client-certificate": config.clientCertificate = try value.string(key, at: where_)
            case "client-key": config.clientKey = try value.string(key, at: where_)
            case "access-token-file": config.accessTokenFile = try value.string(key, at: where_)
            default: break
            }
        }
        return config
    }

    /// Drops a `#` comment that is not inside a string.
    static func stripComment(_ line: String) -> String {
        var inString = false, escaped = false
        for (i, ch) in line.enumerated() {
            if escaped { escaped = false; continue }
            if ch == "\\" && inString { escaped = true; continue }
            if ch == "\"" { inString.toggle() }
            if ch == "#" && !inString { return String(line.prefix(i)) }
        }
        return line
    }

    enum Value {
        case string(String), bool(Bool), number(String)

        init(_ raw: String, at where_: String) throws {
            if raw == "true" { self = .bool(true); return }
            if raw == "false" { self = .bool(false); return }
            if let first = raw.first, first.isNumber || first == "-", Double(raw) != nil { self = .number(raw); return }
            guard raw.count >= 2, raw.hasPrefix("\""), raw.hasSuffix("\"") else {
                throw CLIError.usage("\(where_): a value is a \"quoted string\", true, false or a number")
            }
            var out = "", escaped = false
            for ch in raw.dropFirst().dropLast() {
                if escaped {
                    switch ch {
                    case "\"": out.append("\"")
                    case "\\": out.append("\\")
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    default: throw CLIError.usage("\(where_): unsupported escape \\\(ch)")
                    }
                    escaped = false
                } else if ch == "\\" {
                    escaped = true
                } else if ch == "\"" {
                    throw CLIError.usage("\(where_): a quote inside a string must be escaped")
                } else {
                    out.append(ch)
                }
            }
            self = .string(out)
        }

        func string(_ key: String, at where_: String) throws -> String {
            guard case let .string(s) = self else { throw CLIError.usage("\(where_): \(key) takes a \"quoted string\"") }
            return s
        }

        func bool(_ key: String, at where_: String) throws -> Bool {
            guard case let .bool(b) = self else { throw CLIError.usage("\(where_): \(key) takes true or false") }
            return b
        }
    }
}
