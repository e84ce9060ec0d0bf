import Foundation
import TenantAPI

/// GetKerberosDomain's answer, mapped tolerantly: its fields are not public, so each Cloud*
/// field is looked for under the names the cmdlets print and their likely spellings, case
/// insensitively, at any depth; every element the service returned is kept.
public struct EntraKerberosDomain: Sendable {
    /// Every leaf element, (path of local names, text), in the order the service sent them.
    public var elements: [(String, String)]

    public init(elements: [(String, String)]) { self.elements = elements }

    /// The names tried for each field, first match wins (docs/entra.md: inferred).
    static let candidates: [String: [String]] = [
        "Id": ["Id", "KerberosDomainId", "KrbtgtId", "RodcNumber"],
        "DomainDnsName": ["DomainDnsName", "DnsDomainName", "DomainName", "DnsName"],
        "DisplayName": ["DisplayName", "KrbtgtAccountName"],
        "KeyVersion": ["KeyVersion", "CloudKeyVersion", "KeyVersionNumber"],
        "KeyUpdatedOn": ["KeyUpdatedOn", "CloudKeyUpdatedOn", "KeyUpdatedTime", "KeyUpdateTime"],
        "KeyUpdatedFrom": ["KeyUpdatedFrom", "CloudKeyUpdatedFrom"],
    ]

    public func field(_ name: String) -> String? {
        for candidate in Self.candidates[name] ?? [name] {
            if let hit = elements.first(where: { $0.0.split(separator: "/").last.map(String.init)?.caseInsensitiveCompare(candidate) == .orderedSame }) {
                return hit.1
            }
        }
        return nil
    }

    /// The elements no Cloud* field took.
    public var unmapped: [(String, String)] {
        let used = Set(Self.candidates.keys.compactMap { key -> String? in
            for c in Self.candidates[key]! {
                if let hit = elements.first(where: { $0.0.split(separator: "/").last.map(String.init)?.caseInsensitiveCompare(c) == .orderedSame }) { return hit.0 }
            }
            return nil
        })
        return elements.filter { !used.contains($0.0) }
    }

    public enum MappingFailure: Error, CustomStringConvertible {
        case missing(field: String, elements: [String])
        case notANumber(field: String, value: String)
        public var description: String {
            switch self {
            case let .missing(f, e): "GetKerberosDomain answered without a \(f) (elements: \(e.isEmpty ? "none" : e.joined(separator: ", "))); run with --show-raw-response and report it"
            case let .notANumber(f, v): "GetKerberosDomain's \(f) is not a number: '\(v)'"
            }
        }
    }

    /// The object `get` compares with the on-prem one. Id and KeyVersion are required; a missing
    /// DomainDnsName is the one asked for; a missing DisplayName is krbtgt_<Id>.
    public func kerberosDomain(requested domain: String) throws(MappingFailure) -> KerberosDomain {
        func number(_ f: String) throws(MappingFailure) -> Int64 {
            guard let v = field(f) else { throw .missing(field: f, elements: elements.map(\.0)) }
            guard let n = Int64(v.trimmingCharacters(in: .whitespaces)) else { throw .notANumber(field: f, value: String(v.prefix(40))) }
            return n
        }
        let id = try number("Id")
        return KerberosDomain(domainDnsName: field("DomainDnsName") ?? domain, id: id, displayName: field("DisplayName") ?? "krbtgt_\(id)",
                              keyVersion: try number("KeyVersion"), keyUpdatedOn: field("KeyUpdatedOn"), keyUpdatedFrom: field("KeyUpdatedFrom"))
    }
}
