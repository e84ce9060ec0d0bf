import Foundation
import Basics

/// How to reach a directory server.
public struct LDAPConfiguration: Sendable {
    public enum Security: String, Sendable {
        /// TLS from the first byte (`ldaps://`, port 636).
        case ldaps
        /// Plain TCP upgraded with the StartTLS extended operation before anything else is sent.
        case startTLS
        /// No TLS at all. Only sensible with SASL GSSAPI, which signs and seals by itself; a
        /// simple bind over it sends the password in the clear (AD refuses it by default).
        case none
    }

    /// `ldaps://host[:port]` or `ldap://host[:port]`.
    public var uri: String
    public var security: Security
    /// A PEM file of CA certificates to trust for this connection only. Nil: the system's.
    public var caFile: String?
    /// Bounds the TCP connect (and, for ldaps, the TLS handshake).
    public var connectTimeout: Duration
    /// Bounds each synchronous operation.
    public var operationTimeout: Duration

    public init(uri: String, security: Security? = nil, caFile: String? = nil,
                connectTimeout: Duration = .seconds(10), operationTimeout: Duration = .seconds(30)) {
        self.uri = uri
        self.security = security ?? (uri.lowercased().hasPrefix("ldaps://") ? .ldaps : .startTLS)
        self.caFile = caFile
        self.connectTimeout = connectTimeout
        self.operationTimeout = operationTimeout
    }
}

/// How to authenticate.
public enum LDAPCredentials: Sendable, CustomStringConvertible {
    /// Simple bind with a DN, a UPN (`user@domain`) or a down-level name (`DOMAIN\user`).
    case simple(bindName: String, password: Secret)
    /// SASL GSSAPI from the Kerberos credential cache (`KRB5CCNAME`); no password involved.
    case gssapi

    public var description: String {
        switch self {
        case let .simple(name, _): return "simple bind as \(name)"
        case .gssapi: return "SASL GSSAPI from the Kerberos credential cache"
        }
    }
}

public enum LDAPScope: Int32, Sendable {
    case base = 0
    case oneLevel = 1
    case subtree = 2
}

/// A request control: OID, criticality, optional BER value.
public struct LDAPRequestControl: Sendable, Hashable {
    public var oid: String
    public var isCritical: Bool
    public var value: [UInt8]?

    public init(oid: String, isCritical: Bool = true, value: [UInt8]? = nil) {
        self.oid = oid
        self.isCritical = isCritical
        self.value = value
    }

    /// LDAP_SERVER_TREE_DELETE_OID: delete an object and everything below it.
    public static let treeDelete = Self(oid: "1.2.840.113556.1.4.805")
    /// LDAP_SERVER_RODC_DCPROMO_OID: on add, the DC assigns msDS-SecondaryKrbTgtNumber and the
    /// `krbtgt_<n>` account name of a read-only DC's krbtgt account.
    public static let rodcDCPromo = Self(oid: "1.2.840.113556.1.4.1341")
}

/// One entry of a search result. Attribute names keep the server's spelling; look-ups ignore case.
public struct LDAPEntry: Sendable, Hashable {
    public var dn: String
    public var attributes: [String: [[UInt8]]]

    public init(dn: String, attributes: [String: [[UInt8]]]) {
        self.dn = dn
        self.attributes = attributes
    }

    /// All values of an attribute, raw. Case-insensitive on the attribute name.
    public func values(_ name: String) -> [[UInt8]] {
        if let v = attributes[name] { return v }
        let lower = name.lowercased()
        return attributes.first { $0.key.lowercased() == lower }?.value ?? []
    }

    public func strings(_ name: String) -> [String] {
        values(name).compactMap { String(validating: $0, as: UTF8.self) }
    }

    public func string(_ name: String) -> String? { strings(name).first }

    public func integer(_ name: String) -> Int64? { string(name).flatMap { Int64($0) } }

    public func bytes(_ name: String) -> [UInt8]? { values(name).first }
}

/// One change of a modify request.
public struct LDAPModification: Sendable, Hashable {
    public enum Operation: Int32, Sendable {
        case add = 0
        case delete = 1
        case replace = 2
    }

    public var operation: Operation
    public var attribute: String
    public var values: [[UInt8]]

    public init(_ operation: Operation, _ attribute: String, values: [[UInt8]]) {
        self.operation = operation
        self.attribute = attribute
        self.values = values
    }

    public init(_ operation: Operation, _ attribute: String, strings: [String]) {
        self.init(operation, attribute, values: strings.map { Array($0.utf8) })
    }
}

extension Duration {
    var timeval: timeval {
        let (seconds, attoseconds) = components
        return Foundation.timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}

/// One search of `LDAPConnection.searchBatch`: the arguments `search` takes.
public struct LDAPSearchRequest: Sendable {
    public var base: String
    public var scope: LDAPScope
    public var filter: LDAPFilter
    public var attributes: [String]
    public var controls: [LDAPRequestControl]
    /// RFC 2696 page size for non-base scopes; 0 disables paging.
    public var pageSize: Int
    /// At most this many entries (0: no limit): a search that would return more fails with
    /// `sizeLimitExceeded`. Sent as the request's sizeLimit (RFC 4511), which AD enforces, and
    /// checked here too (Samba ignores it): a paged search stops at the first page that reaches
    /// the limit with more to come, so a page size of the limit bounds what is transferred.
    public var sizeLimit: Int

    public init(base: String, scope: LDAPScope = .subtree, filter: LDAPFilter = .present("objectClass"),
                attributes: [String], controls: [LDAPRequestControl] = [], pageSize: Int = 500, sizeLimit: Int = 0) {
        self.base = base
        self.scope = scope
        self.filter = filter
        self.attributes = attributes
        self.controls = controls
        self.pageSize = pageSize
        self.sizeLimit = sizeLimit
    }

    /// The object itself (scope base), as `LDAPConnection.read` reads it.
    public static func read(_ dn: String, attributes: [String]) -> LDAPSearchRequest {
        LDAPSearchRequest(base: dn, scope: .base, attributes: attributes)
    }

    var paged: Bool { pageSize > 0 && scope != .base }
}
