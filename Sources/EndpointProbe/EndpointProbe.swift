import COpenSSLTLS
import Glibc

/// A second look at a server a connection to which just failed, to name the real cause.
///
/// libldap reports a name that does not resolve, a refused connection and a port that closes the
/// same way ("Can't contact LDAP server"), and GnuTLS folds every certificate problem into one
/// status. The probe connects once more, on its own, and looks at each step: name resolution,
/// TCP, the StartTLS answer, whether the port speaks TLS at all, and the certificate the server
/// shows (checked with OpenSSL against the same CA file). It sends no credentials.
public enum EndpointProbe {
    /// How the client meant to secure the connection.
    public enum Security: Sendable {
        /// TLS from the first byte (ldaps://).
        case direct
        /// LDAP's StartTLS extended operation, then TLS (ldap://).
        case startTLS
        /// No TLS.
        case none
    }

    /// Looks at `host:port` step by step and returns the first fault found, or `.noFault`.
    /// `timeout` bounds each network step.
    public static func diagnose(host: String, port: Int, security: Security, caFile: String?,
                                timeout: Double) -> EndpointFinding {
        let endpoint = Endpoint(host: host, port: port)
        let addresses: [Address]
        switch resolve(host: host, port: port) {
        case let .failure(failure):
            return .nameNotResolved(host: host, detail: failure.detail, resolvers: Resolvers.configured())
        case let .success(found):
            addresses = found
        }
        let socket: Int32
        switch connectFirst(addresses, timeout: timeout) {
        case let .failure(failure):
            switch failure {
            case .refused: return .refused(endpoint)
            case .timedOut: return .noAnswer(endpoint, seconds: timeout)
            case let .other(detail): return .networkUnreachable(endpoint, detail: detail)
            }
        case let .success(fd):
            socket = fd
        }
        defer { close(socket) }
        switch security {
        case .none:
            return .noFault(endpoint)
        case .startTLS:
            switch startTLS(on: socket, timeout: timeout) {
            case .accepted:
                break
            case let .refused(code, message):
                return .startTLSRefused(endpoint, resultCode: code, message: message)
            case .closed, .notLDAP:
                return speaksTLS(addresses, host: host, timeout: timeout) ? .directTLS(endpoint) : .notLDAPOrTLS(endpoint)
            case .silent:
                return .silent(endpoint, seconds: timeout)
            }
        case .direct:
            break
        }
        switch handshake(on: socket, host: host, timeout: timeout) {
        case let .failed(failure):
            if case let .alert(detail) = failure { return .handshakeRejected(endpoint, detail: detail) }
            if security == .direct, speaksPlainLDAP(addresses, timeout: timeout) { return .plainLDAP(endpoint) }
            if case .notTLS = failure { return .notLDAPOrTLS(endpoint) }
            return .closedDuringHandshake(endpoint)
        case .silent:
            return .silent(endpoint, seconds: timeout)
        case let .established(chain):
            defer { chain.forEach { X509_free($0) } }
            guard let leaf = chain.first else { return .closedDuringHandshake(endpoint) }
            let certificate = PeerCertificate(leaf)
            var problems = verify(chain, caFile: caFile)
            if !names(leaf, host: host) {
                problems.append(.nameMismatch(host: host, names: certificate.names))
            }
            let trust = caFile.map { "the CA file \($0)" } ?? "the system's CA certificates"
            return problems.isEmpty ? .noFault(endpoint)
                : .certificate(endpoint, problems: problems, certificate: certificate, trustedBy: trust)
        }
    }

    // MARK: - name resolution and TCP

    struct Address {
        var family: Int32
        var storage: sockaddr_storage
        var length: socklen_t
    }

    static func resolve(host: String, port: Int) -> Result<[Address], Failure> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let list else {
            return .failure(Failure(rc == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(rc))))
        }
        defer { freeaddrinfo(list) }
        var addresses: [Address] = []
        var next: UnsafeMutablePointer<addrinfo>? = list
        while let entry = next {
            var storage = sockaddr_storage()
            withUnsafeMutableBytes(of: &storage) { raw in
                raw.copyMemory(from: UnsafeRawBufferPointer(start: entry.pointee.ai_addr, count: Int(entry.pointee.ai_addrlen)))
            }
            addresses.append(Address(family: entry.pointee.ai_family, storage: storage, length: entry.pointee.ai_addrlen))
            next = entry.pointee.ai_next
        }
        return .success(addresses)
    }

    struct Failure: Error { let detail: String; init(_ d: String) { detail = d } }

    enum ConnectFailure: Error { case refused, timedOut, other(String) }

    /// Connects to the first address that accepts, as libldap does; the most telling failure
    /// otherwise: a refusal (something answered) over a silence over the rest.
    static func connectFirst(_ addresses: [Address], timeout: Double) -> Result<Int32, ConnectFailure> {
        func rank(_ failure: ConnectFailure) -> Int {
            switch failure {
            case .refused: return 2
            case .timedOut: return 1
            case .other: return 0
            }
        }
        var worst: ConnectFailure?
        for address in addresses {
            switch connect(address, timeout: timeout) {
            case let .success(fd): return .success(fd)
            case let .failure(failure): if worst.map({ rank(failure) > rank($0) }) ?? true { worst = failure }
            }
        }
        return .failure(worst ?? .other("no address"))
    }

    static func connect(_ address: Address, timeout: Double) -> Result<Int32, ConnectFailure> {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return .failure(.other(String(cString: strerror(errno)))) }
        var storage = address.storage
        let rc = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, address.length) }
        }
        var error: Int32 = rc == 0 ? 0 : errno
        if rc != 0 && error == EINPROGRESS {
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&pfd, 1, Int32(timeout * 1000))
            if ready == 0 {
                close(fd)
                return .failure(.timedOut)
            }
            var length = socklen_t(MemoryLayout<Int32>.size)
            error = 0
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        }
        guard error == 0 else {
            close(fd)
            return .failure(error == ECONNREFUSED ? .refused : error == ETIMEDOUT ? .timedOut : .other(String(cString: strerror(error))))
        }
        // blocking from here on, each read and write bounded by the timeout
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~Int32(O_NONBLOCK))
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        return .success(fd)
    }

    // MARK: - LDAP

    /// An ExtendedRequest for StartTLS (RFC 4511 §4.14.1), message id 1.
    static let startTLSRequest: [UInt8] = [0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16]
        + Array("1.3.6.1.4.1.1466.20037".utf8)

    enum StartTLSAnswer { case accepted, refused(Int, String), closed, notLDAP, silent }

    static func startTLS(on fd: Int32, timeout: Double) -> StartTLSAnswer {
        guard writeAll(fd, startTLSRequest) else { return .closed }
        switch readLDAPMessage(fd) {
        case .closed: return .closed
        case .silent: return .silent
        case .garbage: return .notLDAP
        case let .message(bytes):
            guard let (code, message) = LDAPResult.parse(bytes) else { return .notLDAP }
            return code == 0 ? .accepted : .refused(code, message)
        }
    }

    /// Whether a fresh connection to the same place answers an LDAP request in plain text.
    static func speaksPlainLDAP(_ addresses: [Address], timeout: Double) -> Bool {
        guard case let .success(fd) = connectFirst(addresses, timeout: timeout) else { return false }
        defer { close(fd) }
        guard writeAll(fd, startTLSRequest), case let .message(bytes) = readLDAPMessage(fd) else { return false }
        return LDAPResult.parse(bytes) != nil
    }

    enum Read { case message([UInt8]), closed, silent, garbage }
    enum ReadFailure: Error { case closed, silent, garbage }

    /// Reads one BER-framed LDAPMessage (SEQUENCE, definite length).
    static func readLDAPMessage(_ fd: Int32) -> Read {
        var header: [UInt8] = []
        switch readExactly(fd, 2) {
        case let .success(bytes): header = bytes
        case .failure(.closed): return .closed
        case .failure(.silent): return .silent
        case .failure(.garbage): return .garbage
        }
        guard header[0] == 0x30 else { return .garbage }
        var length = Int(header[1])
        if length & 0x80 != 0 {
            let count = length & 0x7f
            guard (1...4).contains(count), case let .success(more) = readExactly(fd, count) else { return .garbage }
            header += more
            length = more.reduce(0) { $0 << 8 | Int($1) }
        }
        guard length <= 65_536, case let .success(body) = readExactly(fd, length) else { return .garbage }
        return .message(header + body)
    }

    static func readExactly(_ fd: Int32, _ count: Int) -> Result<[UInt8], ReadFailure> {
        var bytes = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, count - got, 0) }
            if n > 0 { got += n; continue }
            if n == 0 { return .failure(got == 0 ? .closed : .garbage) }
            if errno == EINTR { continue }
            return .failure(errno == EAGAIN || errno == EWOULDBLOCK ? .silent : .closed)
        }
        return .success(bytes)
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }

    // MARK: - TLS

    enum Handshake { case established([OpaquePointer]), failed(HandshakeFailure), silent }
    enum HandshakeFailure { case closed, notTLS, alert(String) }

    /// A TLS handshake that trusts anything, to see the certificate the server shows; the chain
    /// (leaf first) is owned by the caller.
    static func handshake(on fd: Int32, host: String, timeout: Double) -> Handshake {
        guard let context = SSL_CTX_new(TLS_client_method()) else { return .failed(.closed) }
        defer { SSL_CTX_free(context) }
        SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        guard let ssl = SSL_new(context) else { return .failed(.closed) }
        defer { SSL_free(ssl) }
        SSL_set_fd(ssl, fd)
        if !isIPAddress(host) { _ = ctls_set_sni(ssl, host) }
        ERR_clear_error()
        let rc = SSL_connect(ssl)
        guard rc == 1 else {
            let reason = SSL_get_error(ssl, rc)
            let detail = ERR_reason_error_string(ERR_peek_last_error()).map { String(cString: $0) }
            ERR_clear_error()
            if reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE
                || (reason == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK)) { return .silent }
            guard reason == SSL_ERROR_SSL else { return .failed(.closed) }
            // a TLS alert: the server speaks TLS but refused the handshake
            if let detail, detail.contains("alert") { return .failed(.alert(detail)) }
            return .failed(.notTLS)
        }
        var chain: [OpaquePointer] = []
        let peerChain = SSL_get_peer_cert_chain(ssl)
        for i in 0..<ctls_chain_count(peerChain) {
            if let cert = ctls_chain_at(peerChain, i) {
                X509_up_ref(cert)
                chain.append(cert)
            }
        }
        if chain.isEmpty, let leaf = SSL_get1_peer_certificate(ssl) { chain = [leaf] }
        _ = SSL_shutdown(ssl)
        return .established(chain)
    }

    /// Whether a fresh connection to the same place completes a TLS handshake right away.
    static func speaksTLS(_ addresses: [Address], host: String, timeout: Double) -> Bool {
        guard case let .success(fd) = connectFirst(addresses, timeout: timeout) else { return false }
        defer { close(fd) }
        if case let .established(chain) = handshake(on: fd, host: host, timeout: timeout) {
            chain.forEach { X509_free($0) }
            return true
        }
        return false
    }

    /// Checks the chain the server showed against the CA file (or the system's CAs).
    static func verify(_ chain: [OpaquePointer], caFile: String?) -> [CertificateProblem] {
        guard let leaf = chain.first, let store = X509_STORE_new() else { return [] }
        defer { X509_STORE_free(store) }
        if let caFile {
            guard X509_STORE_load_file(store, caFile) == 1 else {
                ERR_clear_error()
                return [.rejected("the CA file \(caFile) holds no certificate OpenSSL can read")]
            }
        } else {
            X509_STORE_set_default_paths(store)
        }
        guard let context = X509_STORE_CTX_new() else { return [] }
        defer { X509_STORE_CTX_free(context) }
        let untrusted = ctls_chain_new()
        defer { ctls_chain_free(untrusted) }
        for cert in chain.dropFirst() { ctls_chain_push(untrusted, cert) }
        guard X509_STORE_CTX_init(context, store, leaf, untrusted) == 1 else { return [] }
        if X509_verify_cert(context) == 1 { return [] }
        let code = X509_STORE_CTX_get_error(context)
        let current = X509_STORE_CTX_get_current_cert(context).map { PeerCertificate($0) } ?? PeerCertificate(leaf)
        switch code {
        case X509_V_ERR_CERT_HAS_EXPIRED:
            return [.expired(subject: current.subject, notAfter: current.notAfter ?? 0)]
        case X509_V_ERR_CERT_NOT_YET_VALID:
            return [.notYetValid(subject: current.subject, notBefore: current.notBefore ?? 0)]
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
            return [.selfSigned(subject: current.subject)]
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
             X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
            return [.unknownIssuer(issuer: current.issuer)]
        default:
            return [.rejected(String(cString: X509_verify_cert_error_string(Int(code))))]
        }
    }

    /// Whether the certificate names `host` (a DNS name in subjectAltName, or an IP address).
    static func names(_ cert: OpaquePointer, host: String) -> Bool {
        if isIPAddress(host) { return X509_check_ip_asc(cert, host, 0) == 1 }
        return X509_check_host(cert, host, host.utf8.count, 0, nil) == 1
    }

    static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}

/// The nameservers of /etc/resolv.conf, in order (a message about a name that did not resolve;
/// the DNS server `dcs` asks).
public enum Resolvers {
    public static func configured(path: String = "/etc/resolv.conf") -> [String] {
        guard let file = fopen(path, "r") else { return [] }
        defer { fclose(file) }
        var servers: [String] = []
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            let fields = String(cString: line).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
            if fields.count >= 2, fields[0] == "nameserver" { servers.append(String(fields[1])) }
        }
        return servers
    }
}

/// The resultCode and diagnosticMessage of an LDAPResult inside an LDAPMessage (RFC 4511 §4.1.9).
enum LDAPResult {
    static func parse(_ message: [UInt8]) -> (Int, String)? {
        var reader = BER(message)
        guard let outer = reader.element(tag: 0x30) else { return nil }
        var body = BER(outer)
        guard body.element(tag: 0x02) != nil, let (tag, op) = body.anyElement(), tag & 0x20 != 0 else { return nil }
        var result = BER(op)
        guard let code = result.element(tag: 0x0a), code.count <= 4,
              result.element(tag: 0x04) != nil, let text = result.element(tag: 0x04) else { return nil }
        return (code.reduce(0) { $0 << 8 | Int($1) }, String(decoding: text, as: UTF8.self))
    }

    struct BER {
        var bytes: ArraySlice<UInt8>
        init<C: Collection<UInt8>>(_ b: C) { bytes = ArraySlice(b) }
        mutating func anyElement() -> (UInt8, ArraySlice<UInt8>)? {
            guard bytes.count >= 2 else { return nil }
            let tag = bytes[bytes.startIndex]
            var index = bytes.startIndex + 1
            var length = Int(bytes[index]); index += 1
            if length & 0x80 != 0 {
                let count = length & 0x7f
                guard (1...4).contains(count), bytes.endIndex - index >= count else { return nil }
                length = bytes[index..<index + count].reduce(0) { $0 << 8 | Int($1) }
                index += count
            }
            guard length >= 0, bytes.endIndex - index >= length else { return nil }
            let value = bytes[index..<index + length]
            bytes = bytes[(index + length)...]
            return (tag, value)
        }
        mutating func element(tag: UInt8) -> ArraySlice<UInt8>? {
            guard let (t, value) = anyElement(), t == tag else { return nil }
            return value
        }
    }
}
