/// A failed key read: which step failed, the server's status code if it gave one, and what
/// happened. It never carries secret material (no keys, passwords, session keys or values).
public struct DRSError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Step: String, Sendable, Equatable {
        /// TCP connection to the endpoint mapper or to DRSUAPI (resolution, refusal, timeout).
        case connect = "connect"
        /// ept_map on port 135.
        case endpointMapper = "endpoint mapper"
        /// RPC bind and NTLM authentication (bind_ack, auth3, the DC refusing the credentials).
        case authentication = "bind/auth"
        /// IDL_DRSBind.
        case dsBind = "DsBind"
        /// IDL_DRSGetNCChanges: the call, its WERROR, its EXOP result, a missing object or attribute.
        case getNCChanges = "GetNCChanges"
        /// Decrypting the secret attribute (CRC-32 check).
        case decrypt = "decrypt/CRC"
        /// Decoding a reply or supplementalCredentials.
        case parse = "parse"
    }

    public let step: Step
    /// The server's status: a WERROR, an RPC fault status, a bind_nak reason or an EXOP result.
    public let status: UInt32?
    /// The symbolic name of `status` where known (e.g. "WERR_DS_DRA_ACCESS_DENIED").
    public let statusName: String?
    public let detail: String
    /// True when the deadline passed (connect or a reply).
    public let isTimeout: Bool

    init(_ step: Step, _ detail: String, status: UInt32? = nil, statusName: String? = nil, isTimeout: Bool = false) {
        self.step = step
        self.detail = detail
        self.status = status
        self.statusName = statusName
        self.isTimeout = isTimeout
    }

    public var description: String {
        var s = "DRS \(step.rawValue) failed"
        if let status { s += ": \(statusName ?? "status") (\(Status.hex(status)))" }
        return s + ": " + detail
    }
}

/// Names of the status codes this client may meet.
enum Status {
    static func hex(_ v: UInt32) -> String {
        let digits = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    static func werrorName(_ v: UInt32) -> String {
        let names: [UInt32: String] = [
            0x0: "WERR_OK", 0x5: "WERR_ACCESS_DENIED", 0x6: "WERR_INVALID_HANDLE", 0x8: "WERR_NOT_ENOUGH_MEMORY",
            0x32: "WERR_NOT_SUPPORTED", 0x57: "WERR_INVALID_PARAMETER",
            0x200e: "WERR_DS_BUSY", 0x200f: "WERR_DS_UNAVAILABLE", 0x2030: "WERR_DS_NO_SUCH_OBJECT",
            0x2032: "WERR_DS_INVALID_DN_SYNTAX", 0x208d: "WERR_DS_OBJ_NOT_FOUND", 0x2098: "WERR_DS_INSUFF_ACCESS_RIGHTS",
            0x20a5: "WERR_DS_NCNAME_MUST_BE_NC", 0x20e2: "WERR_DS_DRA_SCHEMA_MISMATCH", 0x20e4: "WERR_DS_CANT_FIND_EXPECTED_NC",
            0x20f4: "WERR_DS_DRA_GENERIC", 0x20f5: "WERR_DS_DRA_INVALID_PARAMETER", 0x20f6: "WERR_DS_DRA_BUSY",
            0x20f7: "WERR_DS_DRA_BAD_DN", 0x20f8: "WERR_DS_DRA_BAD_NC", 0x20fa: "WERR_DS_DRA_INTERNAL_ERROR",
            0x20fb: "WERR_DS_DRA_INCONSISTENT_DIT", 0x20fd: "WERR_DS_DRA_BAD_INSTANCE_TYPE", 0x20fe: "WERR_DS_DRA_OUT_OF_MEM",
            0x2103: "WERR_DS_DRA_DB_ERROR", 0x2104: "WERR_DS_DRA_NO_REPLICA", 0x2105: "WERR_DS_DRA_ACCESS_DENIED",
            0x2106: "WERR_DS_DRA_NOT_SUPPORTED", 0x2107: "WERR_DS_DRA_RPC_CANCELLED", 0x2108: "WERR_DS_DRA_SOURCE_DISABLED",
            0x210c: "WERR_DS_DRA_MISSING_PARENT", 0x210f: "WERR_DS_DRA_SHUTDOWN", 0x2110: "WERR_DS_DRA_INCOMPATIBLE_PARTIAL_SET",
            0x2161: "WERR_DS_DRA_OBJ_NC_MISMATCH", 0x2191: "WERR_DS_DIFFERENT_REPL_EPOCHS", 0x2192: "WERR_DS_DRS_EXTENSIONS_CHANGED",
        ]
        return names[v] ?? "WERROR"
    }

    static func rpcFaultName(_ v: UInt32) -> String {
        let names: [UInt32: String] = [
            0x5: "access denied", 0x6f7: "bad stub data (nca_s_fault_ndr)", 0x6d8: "cannot perform",
            0x6ba: "server unavailable", 0x721: "security package error", 0x1c010002: "nca_s_op_rng_error (opnum out of range)",
            0x1c010003: "nca_s_unk_if (unknown interface)", 0x1c01000b: "nca_s_proto_error", 0x1c00001a: "nca_s_fault_context_mismatch",
            0x1c00001d: "nca_s_unsupported_authn_level", 0x1c00001c: "nca_s_invalid_pres_context_id",
            0x1c000006: "nca_s_fault_invalid_tag", 0x1c000007: "nca_s_fault_invalid_bound", 0x1c010014: "nca_s_server_too_busy",
            0x1c000012: "nca_s_fault_unspec", 0x1c00001f: "nca_s_invalid_checksum",
        ]
        return names[v] ?? "RPC fault"
    }
}
