import COpenSSLTLS
import Glibc
import SwiftASN1

/// A host and port, printed as `host:port` (`[v6]:port`).
public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// What the probe found, first fault first.
public enum EndpointFinding: Sendable, Equatable {
    /// The host name does not resolve (the resolver's words; the nameservers of resolv.conf).
    case nameNotResolved(host: String, detail: String, resolvers: [String])
    /// The host answered the TCP connect with a reset: nothing listens on the port.
    case refused(Endpoint)
    /// No answer to the TCP connect within the timeout (a firewall dropping, a host down).
    case noAnswer(Endpoint, seconds: Double)
    /// The network refused the connect (no route, network down).
    case networkUnreachable(Endpoint, detail: String)
    /// TCP connected, then nothing came back within the timeout.
    case silent(Endpoint, seconds: Double)
    /// `ldaps://` to a port that speaks plain LDAP (389).
    case plainLDAP(Endpoint)
    /// StartTLS (`ldap://`) to a port that speaks TLS from the first byte (636).
    case directTLS(Endpoint)
    /// The port answers, but neither LDAP nor TLS.
    case notLDAPOrTLS(Endpoint)
    /// The server closed the connection during the TLS handshake without a word.
    case closedDuringHandshake(Endpoint)
    /// The server speaks TLS but ended the handshake with an alert.
    case handshakeRejected(Endpoint, detail: String)
    /// The server answered StartTLS with an error.
    case startTLSRefused(Endpoint, resultCode: Int, message: String)
    /// The certificate the server shows is not acceptable.
    case certificate(Endpoint, problems: [CertificateProblem], certificate: PeerCertificate, trustedBy: String)
    /// Everything the probe checks is fine (the failure was elsewhere, or passing).
    case noFault(Endpoint)

    /// Whether the fault is in reaching the server at all (rather than in TLS).
    public var isReachability: Bool {
        switch self {
        case .nameNotResolved, .refused, .noAnswer, .networkUnreachable: return true
        default: return false
        }
    }

    /// Whether the probe found a fault (anything but `.noFault`).
    public var isFault: Bool {
        if case .noFault = self { return false }
        return true
    }

    /// Whether the fault is a timeout.
    public var isTimeout: Bool {
        switch self {
        case .noAnswer, .silent: return true
        default: return false
        }
    }
}

extension EndpointFinding: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .nameNotResolved(host, detail, resolvers):
            let asked = resolvers.isEmpty ? "no nameserver in /etc/resolv.conf" : "asked \(resolvers.joined(separator: ", "))"
            return "the name \(host) does not resolve (\(detail); /etc/hosts, then \(asked))"
        case let .refused(endpoint):
            return "\(endpoint) refused the connection: nothing listens on port \(endpoint.port)"
        case let .noAnswer(endpoint, seconds):
            return "\(endpoint) did not answer the TCP connect within \(Self.seconds(seconds)) (host down, or a firewall drops the packets)"
        case let .networkUnreachable(endpoint, detail):
            return "\(endpoint) cannot be reached: \(detail)"
        case let .silent(endpoint, seconds):
            return "\(endpoint) accepted the connection, then sent nothing within \(Self.seconds(seconds))"
        case let .plainLDAP(endpoint):
            return "\(endpoint) speaks plain LDAP, not TLS: use ldap://\(Self.hostPart(endpoint)):\(endpoint.port) (StartTLS), or ldaps:// on port 636"
        case let .directTLS(endpoint):
            return "\(endpoint) speaks TLS from the first byte (LDAPS), not StartTLS: use ldaps://\(Self.hostPart(endpoint)):\(endpoint.port)"
        case let .notLDAPOrTLS(endpoint):
            return "\(endpoint) answers, but neither in LDAP nor in TLS: is it a directory server?"
        case let .closedDuringHandshake(endpoint):
            return "\(endpoint) closed the connection during the TLS handshake without a word"
        case let .handshakeRejected(endpoint, detail):
            return "\(endpoint) refused the TLS handshake (\(detail))"
        case let .startTLSRefused(endpoint, code, message):
            return "\(endpoint) refused StartTLS: result \(code)\(message.isEmpty ? "" : ", \(message)")"
        case let .certificate(endpoint, problems, certificate, trust):
            let what = problems.map { $0.description(trustedBy: trust) }.joined(separator: "; ")
            return "the certificate of \(endpoint) (\(certificate.subject)): \(what)"
        case let .noFault(endpoint):
            return "a second connection to \(endpoint) found no fault"
        }
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }

    static func hostPart(_ endpoint: Endpoint) -> String {
        endpoint.host.contains(":") ? "[\(endpoint.host)]" : endpoint.host
    }
}

/// Why a certificate is not accepted.
public enum CertificateProblem: Sendable, Equatable {
    case expired(subject: String, notAfter: Int64)
    case notYetValid(subject: String, notBefore: Int64)
    /// Signed by a CA that is not trusted (the issuer's name).
    case unknownIssuer(issuer: String)
    case selfSigned(subject: String)
    /// The certificate does not name the host the client connected to.
    case nameMismatch(host: String, names: [String])
    case rejected(String)

    public func description(trustedBy trust: String) -> String {
        switch self {
        case let .expired(subject, notAfter):
            return "\(subject) expired on \(Self.date(notAfter))"
        case let .notYetValid(subject, notBefore):
            return "\(subject) is not valid before \(Self.date(notBefore))"
        case let .unknownIssuer(issuer):
            return "its issuer (\(issuer)) is not in \(trust)"
        case let .selfSigned(subject):
            return "it is self-signed (\(subject)) and not in \(trust)"
        case let .nameMismatch(host, names):
            let list = names.isEmpty ? "no subjectAltName" : names.joined(separator: ", ")
            return "it does not name \(host) (it names \(list))"
        case let .rejected(reason):
            return reason
        }
    }

    /// `2026-12-02T04:45:30Z`.
    static func date(_ epoch: Int64) -> String {
        var time = time_t(epoch)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}

/// What a certificate says of itself.
public struct PeerCertificate: Sendable, Equatable {
    public let subject: String
    public let issuer: String
    /// subjectAltName entries, `DNS:name` or `IP:address`.
    public let names: [String]
    public let notBefore: Int64?
    public let notAfter: Int64?

    init(_ cert: OpaquePointer) {
        var buffer = [CChar](repeating: 0, count: 4096)
        ctls_name_text(X509_get_subject_name(cert), &buffer, Int32(buffer.count))
        subject = String(cString: buffer)
        ctls_name_text(X509_get_issuer_name(cert), &buffer, Int32(buffer.count))
        issuer = String(cString: buffer)
        _ = ctls_subject_alt_names(cert, &buffer, buffer.count)
        names = String(cString: buffer).split(separator: "\n").map(String.init)
        let before = ctls_time_epoch(X509_get0_notBefore(cert)), after = ctls_time_epoch(X509_get0_notAfter(cert))
        notBefore = before < 0 ? nil : Int64(before)
        notAfter = after < 0 ? nil : Int64(after)
    }
}

/// A CA file checked before any connection: it must be a readable file holding at least one
/// PEM certificate.
///
/// The check reads the PEM blocks (OpenSSL's `PEM_read`, as lenient as the TLS libraries about
/// line lengths and text between blocks) and looks at each CERTIFICATE block's shape, a SEQUENCE
/// of two SEQUENCEs and a BIT STRING, without decoding the certificate: GnuTLS does that when it
/// loads the file, and decoding it here too (`PEM_read_X509`) was a tenth of a one-domain `get`'s
/// instructions, most of it OpenSSL 3 setting up its key decoders (docs/performance.md).
public enum CAFile {
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        case unreadable(path: String, reason: String)
        case directory(path: String)
        case noCertificate(path: String)

        public var description: String {
            switch self {
            case let .unreadable(path, reason): return "cannot read the CA file \(path): \(reason)"
            case let .directory(path): return "the CA file \(path) is a directory; name a PEM file of CA certificates"
            case let .noCertificate(path): return "the CA file \(path) holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
            }
        }
    }

    /// The number of certificates in the file; throws `Problem`.
    @discardableResult
    public static func check(_ path: String) throws -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else { throw Problem.unreadable(path: path, reason: String(cString: strerror(errno))) }
        if info.st_mode & S_IFMT == S_IFDIR { throw Problem.directory(path: path) }
        guard let file = fopen(path, "r") else { throw Problem.unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { fclose(file) }
        var count = 0
        while true {
            var name: UnsafeMutablePointer<CChar>?
            var header: UnsafeMutablePointer<CChar>?
            var data: UnsafeMutablePointer<UInt8>?
            var length = 0
            // 0 at the end of the file, and for a block whose base64 does not decode
            guard PEM_read(file, &name, &header, &data, &length) == 1 else { break }
            defer { CRYPTO_free(name, nil, 0); CRYPTO_free(header, nil, 0); CRYPTO_free(data, nil, 0) }
            guard let name, let data, ["CERTIFICATE", "X509 CERTIFICATE"].contains(String(cString: name)) else { continue }
            if isCertificate(Array(UnsafeBufferPointer(start: data, count: length))) { count += 1 }
        }
        ERR_clear_error()
        guard count > 0 else { throw Problem.noCertificate(path: path) }
        return count
    }

    /// Certificate ::= SEQUENCE { tbsCertificate SEQUENCE, signatureAlgorithm SEQUENCE, signature BIT STRING }
    /// (RFC 5280 4.1), read as BER so that an old CA's loose encoding is not refused here.
    static func isCertificate(_ der: [UInt8]) -> Bool {
        guard let node = try? BER.parse(der), node.identifier == .sequence, case let .constructed(children) = node.content else { return false }
        return children.map(\.identifier) == [.sequence, .sequence, .bitString]
    }
}
