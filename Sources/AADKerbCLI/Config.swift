import AADKerbCore
import Foundation
import TOMLKit

/// Defaults from a config file, so cron lines and admins need not repeat them
/// (docs/configuration.md). Precedence: command line, then environment, then this file.
///
/// TOML (TOMLKit): top-level keys, and tables `[domains."contoso.corp.com"]` with per-domain
/// `server` and `ca-file`. Secrets never go here:
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

    /// Parses the file with TOMLKit (toml++): full TOML, so literal strings ('C:\path'), escapes
    /// and comments work, and a key given twice is an error. Paths may start with `~` (the home
    /// directory); a relative path is relative to the config file's directory, not to wherever
    /// the command runs (cron's cwd is /).
    static func parse(_ text: String, path: String, home: String = ProcessHardening.environment["HOME"] ?? NSHomeDirectory()) throws -> Config {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw CLIError.usage("\(path):\(error.source.begin.line): \(error.description)")
        }
        let directory = (path as NSString).deletingLastPathComponent
        func resolve(_ file: String) -> String {
            if file == "~" { return home }
            if file.hasPrefix("~/") { return home + file.dropFirst() }
            if file.hasPrefix("/") || directory.isEmpty { return file }
            return directory + "/" + file
        }
        func string(_ table: TOMLTable, _ key: String, at place: String) throws -> String {
            guard let value = table[key]?.string else { throw CLIError.usage("\(place): \(key) takes a string (\"...\" or '...')") }
            return value
        }
        // TOMLKit keeps no positions: find the key's line for the message (the first assignment of
        // it in the right table; a key given twice never gets this far)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func at(_ key: String, domain: String? = nil) -> String {
            var inside = domain == nil
            for (index, raw) in lines.enumerated() {
                let line = raw.trimmingCharacters(in: .whitespaces)
                if line.hasPrefix("[") {
                    inside = domain.map { line.lowercased().contains($0.lowercased()) } ?? false
                    continue
                }
                guard inside, let eq = line.firstIndex(of: "=") else { continue }
                let name = line[..<eq].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
                if name == key { return "\(path):\(index + 1)" }
            }
            return path + (domain.map { ": [domains.\"\($0)\"]" } ?? "")
        }
        var config = Config()
        for key in root.keys.sorted() {
            let place = at(key)
            if let instead = secretKeys[key] {
                throw CLIError.usage("\(place): secrets do not go in the config file; set \(instead) to a file (mode 0600) instead of \(key)")
            }
            if key == "domains" {
                guard let domains = root[key]?.table else { throw CLIError.usage("\(place): domains is a table: [domains.\"<dns-name>\"]") }
                for name in domains.keys.sorted() {
                    let table_ = "\(path): [domains.\"\(name)\"]"
                    guard let table = domains[name]?.table else { throw CLIError.usage("\(table_) is not a table") }
                    _ = try DomainName(name)
                    guard config.domains[name.lowercased()] == nil else {
                        throw CLIError.usage("\(table_): the domain is given twice (names are case-insensitive)")
                    }
                    var domain = Domain()
                    for key in table.keys.sorted() {
                        let where_ = at(key, domain: name)
                        if let instead = secretKeys[key] {
                            throw CLIError.usage("\(where_): secrets do not go in the config file; set \(instead) to a file (mode 0600) instead of \(key)")
                        }
                        switch key {
                        case "server": domain.server = try string(table, key, at: where_)
                        case "ca-file": domain.caFile = resolve(try string(table, key, at: where_))
                        default:
                            throw CLIError.usage("\(where_): unknown key \(key) in a domain table (known: \(domainKeys.sorted().joined(separator: ", ")))")
                        }
                    }
                    config.domains[name.lowercased()] = domain
                }
                continue
            }
            guard topLevelKeys.contains(key) else {
                if root[key]?.table != nil {
                    throw CLIError.usage("\(path): unknown table [\(key)]; only [domains.\"<dns-name>\"] exists")
                }
                throw CLIError.usage("\(place): unknown key \(key) (known: \(topLevelKeys.sorted().joined(separator: ", ")))")
            }
            switch key {
            case "kerberos":
                guard let flag = root[key]?.bool else { throw CLIError.usage("\(place): kerberos takes true or false") }
                config.kerberos = flag
            case "user": config.user = try string(root, key, at: place)
            case "password-file": config.passwordFile = resolve(try string(root, key, at: place))
            case "ca-file": config.caFile = resolve(try string(root, key, at: place))
            case "tenant": config.tenant = try string(root, key, at: place)
            case "tenant-endpoint": config.tenantEndpoint = try string(root, key, at: place)
            case "authority": config.authority = try string(root, key, at: place)
            case "client-id": config.clientID = try string(root, key, at: place)
            case "client-secret-file": config.clientSecretFile = resolve(try string(root, key, at: place))
            case "client-certificate": config.clientCertificate = resolve(try string(root, key, at: place))
            case "client-key": config.clientKey = resolve(try string(root, key, at: place))
            case "access-token-file": config.accessTokenFile = resolve(try string(root, key, at: place))
            default: break
            }
        }
        return config
    }
}
