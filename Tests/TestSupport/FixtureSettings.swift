import Foundation

/// The settings the fixture scripts write and print, read by every test target one way:
/// `KEY='value'` lines (a DC's dc.conf, scripts/samba-dc) and `export KEY='value'` lines
/// (`scripts/samba-dc env NAME`, `scripts/tenant-server env NAME`). Other lines are skipped.
public struct FixtureSettings: Sendable {
    public let values: [String: String]
    /// Where the lines came from, for error messages.
    public let source: String

    public init(shell text: String, source: String) {
        var values: [String: String] = [:]
        for raw in text.split(separator: "\n") {
            var line = Substring(raw.trimmingCharacters(in: .whitespaces))
            if line.hasPrefix("export ") { line = line.dropFirst("export ".count) }
            guard let eq = line.firstIndex(of: "="), eq > line.startIndex, !line.hasPrefix("#") else { continue }
            var value = line[line.index(after: eq)...]
            if value.count >= 2, let quote = value.first, quote == "'" || quote == "\"", value.last == quote {
                value = value.dropFirst().dropLast()
            }
            values[String(line[..<eq])] = String(value)
        }
        self.values = values
        self.source = source
    }

    /// A file of such lines, e.g. `<dc dir>/dc.conf`.
    public init(contentsOf path: String) throws {
        self.init(shell: try String(contentsOfFile: path, encoding: .utf8), source: path)
    }

    public subscript(_ key: String) -> String? { values[key] }

    /// The value, or an error naming the key and the file.
    public func value(_ key: String) throws -> String {
        guard let value = values[key] else { throw Missing(description: "\(source) has no \(key)") }
        return value
    }

    public struct Missing: Error, CustomStringConvertible { public let description: String }
}
