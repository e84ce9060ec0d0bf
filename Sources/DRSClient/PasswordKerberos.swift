import CGSSAPI
import Basics

/// Kerberos with a password, for a key read: a TGT for the user and a service ticket for the DC,
/// both from the KDC at one address (the DC's own), into a MEMORY credential cache that lives
/// as long as this object. The KDC messages are MIT's (krb5_init_creds_step, krb5_tkt_creds_step);
/// the transport is the caller's, so no krb5.conf, DNS or environment variable decides where
/// they go, and nothing is written to disk. The sign-in itself then goes through KerberosClient
/// with this cache, exactly like a sign-in from kinit's.
final class PasswordKerberos {
    /// No KDC answered the first request: connection refused, unreachable or timed out.
    struct KDCUnreachable: Error, CustomStringConvertible {
        var kdc: String
        var why: String
        var description: String { "no KDC answered at \(kdc): \(why)" }
    }

    /// The KDC answered and the exchange failed: a wrong password, an unknown or locked account,
    /// no such service, clock skew... `phase`: "AS" (the TGT) or "TGS" (the service ticket).
    struct Refused: Error, CustomStringConvertible {
        var phase: String
        var code: Int32
        var text: String
        var description: String { "\(phase) exchange: \(text) (krb5 error \(code))" }
    }

    /// The cache, e.g. "MEMORY:abc123", for KerberosClient(ccache:).
    let ccacheName: String
    /// The service ticket's server as cached, e.g. `host/dc1.contoso.com@CONTOSO.COM`: the GSS target that finds it.
    let servicePrincipal: String
    private let state: UnsafeMutablePointer<cgss_kinit>

    /// `principal`: the user's name (a UPN when `enterprise`) in `realm`; `service`: the DC's
    /// principal with its realm. `exchange` sends one request to the KDC and returns its reply.
    init(name: String, realm: String, enterprise: Bool, service: String, password: Secret,
         exchange: ([UInt8]) throws -> [UInt8]) throws {
        // NUL-terminated for krb5 (which keeps a copy it zeroes when freed), in one buffer wiped after.
        var password0 = [UInt8]()
        password0.reserveCapacity(password.count + 1)
        password.withUnsafeBytes { password0.append(contentsOf: $0) }
        password0.append(0)
        defer { wipe(&password0) }
        var made: UnsafeMutablePointer<cgss_kinit>?
        let code = password0.withUnsafeBytes { p in
            cgss_kinit_new(name, realm, enterprise ? 1 : 0, service, p.baseAddress!.assumingMemoryBound(to: CChar.self), &made)
        }
        guard let k = made else { throw Refused(phase: "setup", code: code, text: "out of memory") }
        // Until `state` is set, a failure must free the state itself (deinit would not run).
        do {
            if code != 0 { throw Self.refused(k, code, phase: "setting up the AS exchange") }
            try Self.run(k, exchange)
            ccacheName = try Self.text(k, "naming the credential cache") { cgss_kinit_ccache_name(k, $0, $1) }
            servicePrincipal = try Self.text(k, "reading the service ticket") { cgss_kinit_service_name(k, $0, $1) }
        } catch {
            cgss_kinit_free(k)
            throw error
        }
        state = k
    }

    /// The AS exchange, then the TGS exchange, each request sent with `exchange`.
    private static func run(_ k: UnsafeMutablePointer<cgss_kinit>, _ exchange: ([UInt8]) throws -> [UInt8]) throws {
        var reply: [UInt8] = []
        var answered = false
        while true {
            let phase = cgss_kinit_phase(k) == 0 ? "AS" : "TGS"
            var request: UnsafeRawPointer?
            var length = 0
            let code = reply.withUnsafeBytes { cgss_kinit_step(k, $0.baseAddress, $0.count, &request, &length) }
            if code != 0 { throw Self.refused(k, code, phase: phase) }
            guard let request, length > 0 else { return }
            do {
                reply = try exchange(Array(UnsafeRawBufferPointer(start: request, count: length)))
                answered = true
            } catch let e as KDCUnreachable where answered {
                // It answered before: an exchange cut short is a failure, not a missing KDC.
                throw Refused(phase: phase, code: 0, text: e.description)
            }
        }
    }

    private static func text(_ k: UnsafeMutablePointer<cgss_kinit>, _ what: String,
                             _ call: (UnsafeMutablePointer<CChar>?, Int) -> krb5_error_code) throws -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        let code = buffer.withUnsafeMutableBufferPointer { call($0.baseAddress, $0.count) }
        if code != 0 { throw refused(k, code, phase: what) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Destroys the MEMORY cache (krb5 zeroes the keys it frees) and the krb5 context.
    deinit { cgss_kinit_free(state) }

    private static func refused(_ k: UnsafeMutablePointer<cgss_kinit>, _ code: krb5_error_code, phase: String) -> Refused {
        var buffer = [CChar](repeating: 0, count: 512)
        buffer.withUnsafeMutableBufferPointer { cgss_kinit_error_text(k, code, $0.baseAddress, $0.count) }
        return Refused(phase: phase, code: code, text: String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    /// MIT krb5 codes a refused password comes as (the KDC's, or the AS-REP not decrypting).
    static let wrongPasswordCodes: Set<Int32> = [
        -1765328360,  // KRB5KDC_ERR_PREAUTH_FAILED
        -1765328353,  // KRB5KRB_AP_ERR_BAD_INTEGRITY
    ]

    /// One request and its reply over TCP (RFC 4120 7.2.2: each preceded by its length, 4 bytes
    /// big-endian), on a fresh connection bounded by `deadline`. A connection that cannot be made,
    /// or no reply before the deadline or the connection's end, is `KDCUnreachable`.
    static func tcpExchange(host: String, port: UInt16, request: [UInt8], deadline: ContinuousClock.Instant,
                            cancellation: CancellationSwitch) throws -> [UInt8] {
        let kdc = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let connection: TCPConnection
        do {
            connection = try TCPConnection(host: host, port: port, deadline: deadline, cancellation: cancellation)
        } catch TransportError.cancelled {
            throw CancellationError()
        } catch {
            throw KDCUnreachable(kdc: kdc, why: "\(error)")
        }
        defer { connection.close() }
        let n = UInt32(request.count)
        do {
            try connection.send([UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)] + request)
            let header = try connection.receive(exactly: 4)
            guard header[0] & 0x80 == 0 else { throw Refused(phase: "KDC", code: 0, text: "\(kdc) set the reserved high bit of the TCP length") }
            let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
            guard length > 0, length <= 1 << 20 else { throw Refused(phase: "KDC", code: 0, text: "\(kdc) announced a reply of \(length) bytes") }
            return try connection.receive(exactly: length)
        } catch TransportError.cancelled {
            throw CancellationError()
        } catch let e as TransportError {
            throw KDCUnreachable(kdc: kdc, why: "\(e)")
        }
    }
}
