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

/// RFC 3339 / ISO 8601 timestamps in UTC, by arithmetic on the proleptic Gregorian calendar:
/// Foundation's formatters reach ICU's time-zone data for "UTC", which costs start-up and ~2 MiB
/// of memory in a command-line run (docs/performance.md).
public enum ISO8601 {
    /// `2026-11-24T20:05:14Z`.
    public static func string(_ date: Date) -> String { string(date, fractional: false) }

    /// With `fractional`, milliseconds too: `2026-11-24T20:05:14.123Z`.
    public static func string(_ date: Date, fractional: Bool) -> String {
        let total = date.timeIntervalSince1970
        var seconds = Int64(total.rounded(.down))
        // to the nearest millisecond: 1.001 is 1.00099999... as a Double
        var millis = Int64(((total - Double(seconds)) * 1000).rounded())
        if millis >= 1000 { seconds += 1; millis -= 1000 }
        let (days, secondOfDay) = (floorDiv(seconds, 86400), seconds - floorDiv(seconds, 86400) * 86400)
        let (y, m, d) = civil(days: days)
        func pad(_ v: Int64, _ width: Int) -> String {
            let digits = String(v)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        var text = "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))"
        if fractional { text += ".\(pad(millis, 3))" }
        return text + "Z"
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`; nil for anything else or an impossible date.
    public static func date(_ string: String) -> Date? {
        let b = Array(string.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= b.count else { return nil }
            var v: Int64 = 0
            for i in range {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                v = v * 10 + Int64(b[i] - 48)
            }
            return v
        }
        guard b.count >= 20, b[4] == 45, b[7] == 45, b[10] == 84 || b[10] == 116, b[13] == 58, b[16] == 58,
              let y = number(0..<4), let mo = number(5..<7), let d = number(8..<10),
              let h = number(11..<13), let mi = number(14..<16), let s = number(17..<19),
              (1...12).contains(mo), d >= 1, d <= daysIn(month: mo, year: y), h < 24, mi < 60,
              s < 60 || (s == 60 && h == 23 && mi == 59)  // a leap second ends a day only
        else { return nil }
        var i = 19
        var fraction = 0.0
        if b[i] == 46 {  // '.'
            var scale = 0.1
            i += 1
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 { fraction += Double(b[i] - 48) * scale; scale /= 10; i += 1 }
            guard i > start else { return nil }
        }
        var offset: Int64 = 0
        if i == b.count - 1, b[i] == 90 || b[i] == 122 {  // 'Z'
        } else if i == b.count - 6, b[i] == 43 || b[i] == 45, b[i + 3] == 58,
                  let oh = number(i + 1..<i + 3), let om = number(i + 4..<i + 6), oh < 24, om < 60 {
            offset = (oh * 3600 + om * 60) * (b[i] == 45 ? -1 : 1)
        } else {
            return nil
        }
        let seconds = days(year: y, month: mo, day: d) * 86400 + h * 3600 + mi * 60 + s - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    public static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (civil_from_days).
    static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719468
        let era = floorDiv(z, 146097)
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    public static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
}

/// RFC 1123 host-name syntax for AD DNS domain names: dot-separated labels of 1-63 ASCII letters,
/// digits and hyphens, not starting or ending with a hyphen, 253 characters at most.
public enum DNSName {
    public static func isValid(_ name: String) -> Bool {
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        return !name.isEmpty && name.utf8.count <= 253 && labels.allSatisfy { label in
            (1...63).contains(label.utf8.count)
                && label.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d }
                && label.first != "-" && label.last != "-"
        }
    }
}
