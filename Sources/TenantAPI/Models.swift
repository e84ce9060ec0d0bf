import Foundation

/// The tenant API's wire types (docs/tenant-api.md), shared by the client in aadkerb and the
/// reference server. JSON keys are camelCase; times are ISO 8601 UTC strings.

/// The cloud half of an Azure AD Kerberos server: one per AD DS domain.
public struct KerberosDomain: Codable, Sendable, Equatable {
    public var domainDnsName: String
    /// The read-only DC branch number (msDS-SecondaryKrbTgtNumber on-prem).
    public var id: Int64
    /// `krbtgt_<id>`.
    public var displayName: String
    /// The on-prem KeyVersion (originating USN of the key's replication metadata).
    public var keyVersion: Int64
    public var keyUpdatedOn: String?
    public var keyUpdatedFrom: String?
    /// The key the cloud issues tickets with, and the one before it (still accepted).
    public var currentKey: KeySlot?
    public var previousKey: KeySlot?
    /// Write-only: a new key, sealed to the tenant's public key. The server moves `currentKey` to
    /// `previousKey` and fills `currentKey` from it; it never returns this field. Slots sent by a
    /// client are ignored: only the server sets them.
    public var newKey: KeyUpload?
    /// Set by a client while it rotates the key: a lease that tells other runs to keep off, and
    /// where the rotation started. Cleared by the write that publishes the new key.
    public var rotation: RotationLease?
    /// Set by the server.
    public var createdOn: String?
    public var updatedOn: String?

    public init(domainDnsName: String, id: Int64, displayName: String, keyVersion: Int64,
                keyUpdatedOn: String? = nil, keyUpdatedFrom: String? = nil,
                currentKey: KeySlot? = nil, previousKey: KeySlot? = nil) {
        self.domainDnsName = domainDnsName
        self.id = id
        self.displayName = displayName
        self.keyVersion = keyVersion
        self.keyUpdatedOn = keyUpdatedOn
        self.keyUpdatedFrom = keyUpdatedFrom
        self.currentKey = currentKey
        self.previousKey = previousKey
    }
}

/// A rotation in progress (docs/rotation.md): taken with If-Match, so only one run can hold it.
public struct RotationLease: Codable, Sendable, Equatable {
    /// Random id of the run that holds the lease.
    public var id: String
    /// Who holds it: host name and process id.
    public var holder: String
    public var startedOn: String
    /// After this instant another run may take the lease over.
    public var expiresOn: String
    /// The DC key version number (msDS-KeyVersionNumber) the rotation started from.
    public var fromKvno: Int64

    public init(id: String, holder: String, startedOn: String, expiresOn: String, fromKvno: Int64) {
        self.id = id
        self.holder = holder
        self.startedOn = startedOn
        self.expiresOn = expiresOn
        self.fromKvno = fromKvno
    }
}

/// What the cloud knows of one key: never the key itself, only its version and a check value.
public struct KeySlot: Codable, Sendable, Equatable {
    public var kvno: Int64
    public var keyVersion: Int64
    public var encryptionType: String
    /// First 8 bytes (hex) of HMAC-SHA256(key, "aadkerb key check"): proves which key it is.
    public var checkValue: String

    public init(kvno: Int64, keyVersion: Int64, encryptionType: String = "aes256-cts-hmac-sha1-96", checkValue: String) {
        self.kvno = kvno
        self.keyVersion = keyVersion
        self.encryptionType = encryptionType
        self.checkValue = checkValue
    }
}

public struct KerberosDomainList: Codable, Sendable {
    public var value: [KerberosDomain]
    public init(value: [KerberosDomain]) { self.value = value }
}

/// RFC 9457 problem details.
public struct Problem: Codable, Sendable, Error, CustomStringConvertible {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String?

    public init(type: String = "about:blank", title: String, status: Int, detail: String? = nil) {
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
    }

    public var description: String { detail.map { "\(title): \($0)" } ?? title }
}

/// An OAuth2 token response (RFC 6749 §5.1) and error (§5.2).
public struct TokenResponse: Codable, Sendable {
    public var token_type: String
    public var access_token: String
    public var expires_in: Int
    public init(token_type: String = "Bearer", access_token: String, expires_in: Int) {
        self.token_type = token_type
        self.access_token = access_token
        self.expires_in = expires_in
    }
}

public struct TokenError: Codable, Sendable, Error {
    public var error: String
    public var error_description: String?
    public init(error: String, error_description: String? = nil) {
        self.error = error
        self.error_description = error_description
    }
}

/// Roles carried in access tokens.
public enum TenantRole {
    public static let readWrite = "KerberosDomain.ReadWrite.All"
    public static let read = "KerberosDomain.Read.All"
    /// Issue partial TGTs for synced users (the cloud's sign-in path): a role of its own, which
    /// neither the reader nor the read-write role carries.
    public static let issueTickets = "KerberosTicket.Issue.All"
}

/// POST .../kerberosDomains/{domain}/partialTickets: the synced user the cloud mints a partial
/// TGT for, as Entra ID knows it from the sync (onPremisesSamAccountName, onPremisesSecurityIdentifier).
public struct PartialTicketRequest: Codable, Sendable, Equatable {
    public var onPremisesSamAccountName: String
    public var onPremisesSecurityIdentifier: String
    public var userPrincipalName: String?

    public init(onPremisesSamAccountName: String, onPremisesSecurityIdentifier: String, userPrincipalName: String? = nil) {
        self.onPremisesSamAccountName = onPremisesSamAccountName
        self.onPremisesSecurityIdentifier = onPremisesSecurityIdentifier
        self.userPrincipalName = userPrincipalName
    }
}

/// The answer, with the fields of the PRT response that carry the partial TGT: `tgt_client_key`
/// (base64 of the session key; the real service encrypts it to the device's PRT session key, the
/// emulator sends it in the clear over TLS), `tgt_key_type` (18, AES-256) and `tgt_message_buffer`
/// (base64 of a KRB-AS-REP carrying the ticket; its enc-part opens with the session key, key usage 3).
/// `kvno` is the ticket's, `(Id << 16) | CloudKeyKvno`. The key-bearing fields are credentials:
/// never print or log them.
public struct PartialTicketResponse: Codable, Sendable {
    public var tgt_client_key: String
    public var tgt_key_type: Int
    public var tgt_message_buffer: String
    public var kvno: Int64

    public init(tgt_client_key: String, tgt_key_type: Int, tgt_message_buffer: String, kvno: Int64) {
        self.tgt_client_key = tgt_client_key
        self.tgt_key_type = tgt_key_type
        self.tgt_message_buffer = tgt_message_buffer
        self.kvno = kvno
    }
}

public enum TenantAPIPaths {
    public static func token(tenant: String) -> String { "/\(tenant)/oauth2/v2.0/token" }
    public static func domains(tenant: String) -> String { "/v1/tenants/\(tenant)/kerberosDomains" }
    public static func domain(tenant: String, _ name: String) -> String { "/v1/tenants/\(tenant)/kerberosDomains/\(name)" }
    public static func partialTickets(tenant: String, _ name: String) -> String { domain(tenant: tenant, name) + "/partialTickets" }
    public static func syncConfig(tenant: String) -> String { "/v1/tenants/\(tenant)/syncConfig" }
}

