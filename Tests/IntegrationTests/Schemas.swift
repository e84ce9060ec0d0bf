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
    let missing = missingKeys(value, object, path: "")
    try #require(missing.isEmpty, "\(T.self): keys missing from the output (every key is always present): \(missing)")
    return value
}

/// The documented keys of `value` (its stored properties, at every depth: nested objects and the
/// objects in arrays too) that `json` lacks, as paths (`DomainControllers[0].Error`).
private func missingKeys(_ value: Any, _ json: Any, path: String) -> [String] {
    let mirror = Mirror(reflecting: value)
    switch mirror.displayStyle {
    case .optional:
        guard let wrapped = mirror.children.first?.value else { return [] }  // null: nothing below
        return missingKeys(wrapped, json, path: path)
    case .collection:
        guard let array = json as? [Any] else { return [] }
        return zip(mirror.children, array).enumerated().flatMap { i, pair in missingKeys(pair.0.value, pair.1, path: "\(path)[\(i)]") }
    case .struct:
        guard let object = json as? [String: Any] else { return [] }
        return mirror.children.flatMap { child -> [String] in
            guard let key = child.label else { return [] }
            let here = path.isEmpty ? key : "\(path).\(key)"
            guard let nested = object[key] else { return [here] }
            return missingKeys(child.value, nested, path: here)
        }
    default:
        return []  // strings, numbers, booleans, dictionaries of free-form keys
    }
}

/// An array of outputs (several --domain, --forest); each element checked as `decodeOutput` does.
func decodeOutputs<T: Decodable>(_ type: T.Type, _ text: String) throws -> [T] {
    try outputElements(text).map { try decodeOutput(T.self, $0) }
}

/// The elements of an array of outputs, each as its own JSON text: for an array whose elements
/// are of different types (a domain's result beside another's error object), decoded one by one.
func outputElements(_ text: String) throws -> [String] {
    let array = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Any], "not a JSON array: \(text)")
    return try array.map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self) }
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
    /// With `--cloud entra`: every element the service returned, path -> text.
    let CloudElements: [String: String]?
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

/// `aadkerb rotate` (docs/rotation.md).
struct RotateOutput: Decodable {
    let SchemaVersion: Int
    let Command: String
    let DomainDnsName: String
    let DryRun: Bool
    let Outcome: String
    let Reason: String
    let Before: KeyState
    let After: KeyState?
    let DomainControllers: [DC]
    let Steps: [StepsOutput.Step]

    struct KeyState: Decodable {
        let Kvno: Int?
        let KeyVersion: Int?
        let KeyUpdatedOn: String?
        let CloudKeyKvno: Int?
    }

    struct DC: Decodable {
        let Name: String
        let Trusted: Bool
        let Kvno: Int?
        let Converged: Bool
        let Error: String?
    }
}

/// `aadkerb verify` (docs/verify.md).
struct VerifyOutput: Decodable {
    let SchemaVersion: Int
    let Command: String
    let DomainDnsName: String
    let TicketSource: String?
    let CloudKeyTested: Bool
    let Note: String?
    let Results: [Result]
    let KeyList: [KeyListSupport]

    struct Result: Decodable {
        let User: String
        let DomainController: String
        let Outcome: String
        let IssuedKvno: Int?
        let DeniedBy: [String]
        let Detail: String?
    }

    struct KeyListSupport: Decodable {
        let DomainController: String
        let Supported: Bool?
        let Detail: String?
    }
}

/// `aadkerb dcs`.
struct DcsOutput: Decodable {
    let SchemaVersion: Int
    let DomainDnsName: String
    let DnsError: String?
    let DomainControllers: [DC]

    struct DC: Decodable {
        let Name: String
        let Port: Int?
        let Priority: Int?
        let Weight: Int?
        let InDns: Bool
        let InDirectory: Bool
        let Trusted: Bool
        let Writable: Bool?
        let OperatingSystem: String?
        let OperatingSystemVersion: String?
        let Reachable: Bool
        let Ldaps: Bool?
        let LdapsError: String?
        let Kvno: Int?
        let Error: String?
    }
}

// Not aadkerb's output, but JSON the tests read all the same, each with a small type.

/// scripts/oracle/samba-keys.py: the AES-256 keys Samba holds for an account (hex), current and previous.
struct SambaKeysOracle: Decodable {
    let salt: String
    let keys: [String]
    let old_keys: [String]
    let iterations: Int
}

/// scripts/oracle/onprem-oracle.py: what `get` reads on-prem, read with ldapsearch and decoded by hand.
struct OnPremOracle: Decodable {
    let ComputerAccount: String?
    let UserAccount: String?
    let ServiceConnectionPoint: String?
    let DomainController: String?
    let Id: Int?
    let DisplayName: String?
    let Kvno: Int?
    let KeyVersion: Int?
    let KeyUpdatedOn: String?
    let KeyUpdatedFrom: String?
    let KeyUpdatedFromInvocationId: String?
}

/// A tenant API answer read from outside (curl): a KerberosDomain's name and times, and the list
/// of them (docs/openapi.yaml), as far as the contract tests read them.
struct TenantDomainSummary: Decodable {
    let domainDnsName: String
    let updatedOn: String?
}

struct TenantDomainList: Decodable {
    let value: [TenantDomainSummary]
}

/// The reference tenant server's emulator: the device codes waiting for a person (`GET /_emulator/device/pending`).
struct PendingDeviceCodes: Decodable {
    let userCodes: [String]
}

/// The device authorization response (RFC 8628 3.2), as far as the tests read it.
struct DeviceCodeResponse: Decodable {
    let device_code: String
    let user_code: String
    let expires_in: Int
}

/// A JWT's header (RFC 7515 4.1), as far as the tests read it.
struct JWTHeader: Decodable {
    let alg: String
    let kid: String?
}
