import Foundation
import Testing

/// The documented JSON output (docs/json-output.md, schema version 1) as Decodable types: tests
/// read aadkerb's output through them rather than through `[String: Any]`, so a renamed key or a
/// changed type fails the decoding, and `decodeOutput` also checks the documented rule that
/// every key is present (null when unknown). Property names are the JSON keys.
func decodeOutput<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
    let data = Data(text.utf8)
    let value = try JSONDecoder().decode(T.self, from: data)
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "not a JSON object: \(text)")
    let documented = Mirror(reflecting: value).children.compactMap(\.label)
    let missing = documented.filter { object[$0] == nil }
    try #require(missing.isEmpty, "\(T.self): keys missing from the output (every key is always present): \(missing)")
    return value
}

/// An array of outputs (several --domain, --forest); each element checked as `decodeOutput` does.
func decodeOutputs<T: Decodable>(_ type: T.Type, _ text: String) throws -> [T] {
    let array = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Any], "not a JSON array: \(text)")
    return try array.map { element in
        try decodeOutput(T.self, String(decoding: try JSONSerialization.data(withJSONObject: element), as: UTF8.self))
    }
}

/// `aadkerb get`.
struct GetOutput: Decodable {
    let SchemaVersion: Int
    let Status: String?
    let Server: String?
    let DomainController: String?
    let DomainDnsName: String
    let Id: Int?
    let UserAccount: String?
    let ComputerAccount: String?
    let DisplayName: String?
    let KeyVersion: Int?
    let Kvno: Int?
    let KeyUpdatedOn: String?
    let KeyUpdatedFrom: String?
    let KeyUpdatedFromInvocationId: String?
    let ServiceConnectionPoint: String?
    let Problems: [String]?
    let CloudId: Int?
    let CloudDomainDnsName: String?
    let CloudDisplayName: String?
    let CloudKeyVersion: Int?
    let CloudKeyUpdatedOn: String?
    let CloudKeyUpdatedFrom: String?
    let CloudKeyKvno: Int?
    let CloudPreviousKeyKvno: Int?
    let DomainControllers: [DCKvno]?
    let CloudRotation: Rotation?
    let CloudSource: String?
    let CloudError: ErrorOutput?
    let SyncStatus: String?
    let Comparison: [String: String]?

    struct DCKvno: Decodable {
        let Name: String
        let Kvno: Int?
        let Error: String?
    }

    struct Rotation: Decodable {
        let Holder: String
        let StartedOn: String
        let ExpiresOn: String
        let FromKvno: Int
    }
}

/// `aadkerb set`, `remove`, `policy allow|deny|reset`.
struct StepsOutput: Decodable {
    let SchemaVersion: Int
    let Command: String
    let DomainDnsName: String
    let DryRun: Bool
    let Changed: Bool
    let Steps: [Step]
    let Notes: [String]

    struct Step: Decodable {
        let Side: String
        let Action: String
        let Object: String
        let Detail: String?
    }
}

/// A failure (`--output json`), and `get`'s `CloudError`.
struct ErrorOutput: Decodable {
    let Error: String
    let ExitCode: Int
    let Message: String
}

/// One domain's failure in a run over several: its array element.
struct DomainErrorOutput: Decodable {
    let DomainDnsName: String
    let Error: String
    let ExitCode: Int
    let Message: String
}

/// `aadkerb policy show`.
struct PolicyShowOutput: Decodable {
    let SchemaVersion: Int
    let DomainDnsName: String
    let Allowed: [Entry]
    let Denied: [Entry]

    struct Entry: Decodable {
        let Name: String
        let Sid: String?
        let DistinguishedName: String
    }
}

/// `aadkerb policy explain`.
struct PolicyExplainOutput: Decodable {
    let SchemaVersion: Int
    let DomainDnsName: String
    let Principal: String
    let Sid: String?
    let Verdict: String
    let DeniedBy: [String]
    let AllowedBy: [String]
    let GroupCount: Int
}

/// `aadkerb doctor`.
struct DoctorOutput: Decodable {
    let SchemaVersion: Int
    let Command: String
    let DomainDnsName: String
    let Result: String
    let Checks: [Check]

    struct Check: Decodable {
        let Name: String
        let Status: String
        let Detail: String
        let Fix: String?
    }
}
