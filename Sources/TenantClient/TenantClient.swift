import Foundation
import Logging
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Basics
import TenantAPI

/// Where the tenant API and its token endpoint are.
public struct TenantEndpoint: Sendable {
    /// The tenant (directory) id or name.
    public var tenant: String
    /// Base URL of the tenant API, e.g. https://tenant-api.example.com.
    public var apiURL: URL
    /// OAuth2 authority; tokens come from <authority>/<tenant>/oauth2/v2.0/token.
    public var authority: URL
    /// Bounds each HTTP request.
    public var timeout: Duration
    /// Retries after 429/502/503/504 or a dropped connection (idempotent requests only).
    public var maxRetries: Int
    /// A cached token is renewed this long before it expires (clock skew, request time).
    public var tokenRefreshMargin: Duration
    /// The OAuth2 scope tokens are asked for: the tenant API's, or (EntraSync) the Azure AD Graph
    /// resource's, `https://graph.windows.net/.default`.
    public var scope: String

    public init(tenant: String, apiURL: URL, authority: URL, timeout: Duration = .seconds(30), maxRetries: Int = 3,
                tokenRefreshMargin: Duration = .seconds(60), scope: String = "api://aadkerb-tenant/.default") {
        self.scope = scope
        self.tenant = tenant
        self.apiURL = apiURL
        self.authority = authority
        self.timeout = timeout
        self.maxRetries = maxRetries
        self.tokenRefreshMargin = tokenRefreshMargin
    }
}

public enum TenantCredentials: Sendable, CustomStringConvertible {
    /// OAuth2 client credentials with a client secret.
    case clientSecret(clientID: String, secret: Secret)
    /// OAuth2 client credentials with a certificate: a JWT assertion signed with the private key
    /// (RS256, RFC 7523), naming the certificate by its SHA-256 thumbprint.
    case clientCertificate(clientID: String, certificatePEM: [UInt8], privateKeyPEM: Secret)
    /// The device code flow (RFC 8628) for people: the sign-in message goes to the client's
    /// `prompt`, and the client polls until the person has signed in elsewhere.
    case deviceCode(clientID: String)
    /// A ready access token.
    case accessToken(Secret)

    public var description: String {
        switch self {
        case let .clientSecret(id, _): return "client \(id) with a secret"
        case let .clientCertificate(id, _, _): return "client \(id) with a certificate"
        case let .deviceCode(id): return "a person signing in through client \(id)"
        case .accessToken: return "a given access token"
        }
    }
}

public struct TenantError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case authentication, forbidden, notFound, conflict, preconditionFailed, throttled, server, unreachable, tls, timeout, protocolError
    }

    public var kind: Kind
    public var endpoint: String
    public var status: Int?
    public var detail: String
    /// Which service failed, in messages ("tenant API", or EntraSync's "Entra sync service").
    public var service = "tenant API"

    public init(kind: Kind, endpoint: String, status: Int?, detail: String, service: String = "tenant API") {
        self.kind = kind
        self.endpoint = endpoint
        self.status = status
        self.detail = detail
        self.service = service
    }

    public var description: String {
        "\(service) \(endpoint) failed" + (status.map { " (HTTP \($0))" } ?? "") + ": \(detail)"
    }
}

/// Answers every redirect with "do not follow": the 3xx response itself is then what the task returns.
final class RefuseRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}

/// A client of the tenant API over URLSession. Tokens are cached until 60 s before they expire.
public actor TenantClient {
    public let endpoint: TenantEndpoint
    private let credentials: TenantCredentials
    private let session: URLSession
    private var cachedToken: (value: Secret, expires: Date)?
    private let prompt: @Sendable (String) -> Void
    /// Asked before a key is sealed to the tenant's public key, with that key's id (computed here
    /// from the key, not taken from the answer): throws to refuse a key that changed (trust on
    /// first use; the CLI keeps the pins). A TLS-inspecting proxy could swap in its own key, since
    /// the public key comes over the same TLS connection as everything else.
    private let pinTenantKey: (@Sendable (String) throws -> Void)?
    /// HTTP requests sent, retries included (for tests and benchmarks).
    public private(set) var requestCount = 0

    /// `prompt` receives what a person must do to sign in (device code flow only).
    public init(endpoint: TenantEndpoint, credentials: TenantCredentials, prompt: @escaping @Sendable (String) -> Void = { _ in },
                pinTenantKey: (@Sendable (String) throws -> Void)? = nil) {
        self.endpoint = endpoint
        self.credentials = credentials
        self.prompt = prompt
        self.pinTenantKey = pinTenantKey
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = endpoint.timeout.seconds
        configuration.timeoutIntervalForResource = endpoint.timeout.seconds * Double(endpoint.maxRetries + 1) + 60
        configuration.urlCache = nil
        // No redirect is ever followed: it would carry the bearer token (or the client secret of a
        // token request) to wherever the Location points. The API never redirects.
        session = URLSession(configuration: configuration, delegate: RefuseRedirects(), delegateQueue: nil)
    }

    // MARK: KerberosDomain

    public struct Versioned: Sendable {
        public var value: KerberosDomain
        public var etag: String
    }

    public func get(domain: String) async throws -> Versioned? {
        let (data, response) = try await send("GET", TenantAPIPaths.domain(tenant: endpoint.tenant, domain), allow404: true)
        if response.statusCode == 404 { return nil }
        return Versioned(value: try decode(KerberosDomain.self, data, from: response), etag: response.value(forHTTPHeaderField: "ETag") ?? "")
    }

    public func list() async throws -> [KerberosDomain] {
        let (data, response) = try await send("GET", TenantAPIPaths.domains(tenant: endpoint.tenant))
        return try decode(KerberosDomainList.self, data, from: response).value
    }

    private var cachedSyncConfig: SyncConfig?

    /// The tenant's key-encryption public key (cached for the life of the client).
    public func syncConfig() async throws -> SyncConfig {
        if let cachedSyncConfig { return cachedSyncConfig }
        let (data, response) = try await send("GET", TenantAPIPaths.syncConfig(tenant: endpoint.tenant))
        let config = try decode(SyncConfig.self, data, from: response)
        guard config.keyEncryption.algorithm == EncryptedKey.algorithm else {
            throw TenantError(kind: .protocolError, endpoint: "GET syncConfig", status: response.statusCode,
                              detail: "unsupported key encryption \(config.keyEncryption.algorithm)")
        }
        cachedSyncConfig = config
        return config
    }

    /// Creates (`ifMatch` nil: If-None-Match: *) or replaces (If-Match: etag). With `newKey`, the
    /// key is sealed to the tenant's public key (docs/tenant-api.md) and becomes the current key;
    /// the server keeps the one before as the previous key.
    public func put(_ value: KerberosDomain, ifMatch etag: String?, newKey: (key: Secret, kvno: Int64)? = nil) async throws -> Versioned {
        var value = value
        if let newKey {
            let config = try await syncConfig()
            guard let publicKey = Data(base64Encoded: config.keyEncryption.publicKey) else {
                throw TenantError(kind: .protocolError, endpoint: "GET syncConfig", status: nil, detail: "the public key is not base64")
            }
            try pinTenantKey?(KeyEnvelope.keyID(Array(publicKey)))
            let etype = "aes256-cts-hmac-sha1-96"
            let envelope = try KeyEnvelope.seal(newKey.key, to: Array(publicKey), context: KeyEnvelope.context(
                tenant: endpoint.tenant, domain: value.domainDnsName, kvno: newKey.kvno, keyVersion: value.keyVersion, encryptionType: etype))
            value.newKey = KeyUpload(kvno: newKey.kvno, keyVersion: value.keyVersion, encryptionType: etype, envelope: envelope)
        }
        let body = try JSONEncoder().encode(value)
        let headers = etag.map { ["If-Match": $0] } ?? ["If-None-Match": "*"]
        let (data, response) = try await send("PUT", TenantAPIPaths.domain(tenant: endpoint.tenant, value.domainDnsName),
                                              body: body, headers: headers)
        return Versioned(value: try decode(KerberosDomain.self, data, from: response), etag: response.value(forHTTPHeaderField: "ETag") ?? "")
    }

    /// A partial TGT for a synced user, minted by the tenant with its current key (what the cloud
    /// hands a device at sign-in). The answer holds a credential: never print or log it.
    public func partialTicket(domain: String, for user: PartialTicketRequest) async throws -> PartialTicketResponse {
        let (data, response) = try await send("POST", TenantAPIPaths.partialTickets(tenant: endpoint.tenant, domain),
                                              body: try JSONEncoder().encode(user))
        return try decode(PartialTicketResponse.self, data, from: response)
    }

    /// Deletes; returns false when there was nothing to delete.
    @discardableResult
    public func delete(domain: String, ifMatch etag: String? = nil) async throws -> Bool {
        let (_, response) = try await send("DELETE", TenantAPIPaths.domain(tenant: endpoint.tenant, domain),
                                           headers: etag.map { ["If-Match": $0] } ?? [:], allow404: true)
        return response.statusCode != 404
    }

    // MARK: tokens

    /// A token for `endpoint.scope` by the client's credentials (cached until near its expiry):
    /// for a caller that sends it itself (EntraSync puts it in a SOAP header).
    public func token() async throws -> Secret { try await accessToken() }

    private func accessToken() async throws -> Secret {
        switch credentials {
        case let .accessToken(token):
            return token
        case let .deviceCode(clientID):
            if let cached = cachedToken, cached.expires > Date() { return cached.value }
            return try await deviceCodeToken(clientID: clientID)
        case .clientSecret, .clientCertificate:
            if let cached = cachedToken, cached.expires > Date() { return cached.value }
            let url = endpoint.authority.appendingPathComponent(endpoint.tenant).appendingPathComponent("oauth2/v2.0/token")
            var form = "grant_type=client_credentials&scope=\(Self.formEncode(endpoint.scope))"
            // the client secret goes from its Secret straight into the one body buffer (percent-encoded
            // byte by byte, no String of it), which is wiped once the request is made: what remains
            // is the Data URLSession holds for libcurl, and libcurl's own copy
            var secretPart: [UInt8] = []
            defer { wipe(&secretPart) }
            switch credentials {
            case let .clientSecret(clientID, secret):
                form += "&client_id=\(Self.formEncode(clientID))&client_secret="
                secretPart.reserveCapacity(secret.count * 3)
                secret.withUnsafeBytes { raw in Self.formEncode(raw, into: &secretPart) }
            case let .clientCertificate(clientID, certificatePEM, privateKeyPEM):
                let assertion: String
                do {
                    assertion = try ClientAssertion.make(clientID: clientID, audience: url.absoluteString,
                                                         certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM)
                } catch {
                    throw TenantError(kind: .authentication, endpoint: "POST \(url.absoluteString)", status: nil,
                                      detail: "cannot sign the client assertion: \(error)")
                }
                form += "&client_id=\(Self.formEncode(clientID))&client_assertion_type="
                    + Self.formEncode(ClientAssertion.type) + "&client_assertion=" + Self.formEncode(assertion)
            case .accessToken, .deviceCode:
                break
            }
            var request = URLRequest(url: url)
            request.httpMethod = "POST"
            request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
            var body = Data(capacity: form.utf8.count + secretPart.count)
            body.append(contentsOf: form.utf8)
            body.append(contentsOf: secretPart)
            request.httpBody = body
            let (data, response) = try await perform(request, name: "POST \(url.absoluteString)", idempotent: false)
            guard response.statusCode == 200 else {
                let error = try? JSONDecoder().decode(TokenError.self, from: data)
                throw TenantError(kind: .authentication, endpoint: "POST \(url.absoluteString)", status: response.statusCode,
                                  detail: error.map { "\($0.error): \($0.error_description ?? "")" } ?? String(decoding: data.prefix(300), as: UTF8.self))
            }
            let token = try decode(TokenResponse.self, data, from: response)
            let value = Secret(token.access_token)
            cacheToken(value, expiresIn: token.expires_in)
            return value
        }
    }

    private func cacheToken(_ value: Secret, expiresIn: Int) {
        cachedToken = (value, Date().addingTimeInterval(max(0, TimeInterval(expiresIn) - endpoint.tokenRefreshMargin.seconds)))
    }

    private var tokenURL: URL {
        endpoint.authority.appendingPathComponent(endpoint.tenant).appendingPathComponent("oauth2/v2.0/token")
    }

    private func postForm(_ url: URL, _ form: String) async throws -> (Data, HTTPURLResponse) {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(form.utf8)
        return try await perform(request, name: "POST \(url.absoluteString)", idempotent: false)
    }

    private struct DeviceCodeAnswer: Decodable {
        var device_code: String
        var user_code: String
        var verification_uri: String
        var expires_in: Int
        var interval: Int?
        var message: String?
    }

    /// RFC 8628: get a code, tell the person, poll until they sign in, decline, or the code expires.
    private func deviceCodeToken(clientID: String) async throws -> Secret {
        let codeURL = endpoint.authority.appendingPathComponent(endpoint.tenant).appendingPathComponent("oauth2/v2.0/devicecode")
        let (data, response) = try await postForm(
            codeURL, "client_id=\(Self.formEncode(clientID))&scope=\(Self.formEncode(endpoint.scope))")
        guard response.statusCode == 200 else {
            let error = try? JSONDecoder().decode(TokenError.self, from: data)
            throw TenantError(kind: .authentication, endpoint: "POST \(codeURL.absoluteString)", status: response.statusCode,
                              detail: error.map { "\($0.error): \($0.error_description ?? "")" } ?? "device code request refused")
        }
        let code = try decode(DeviceCodeAnswer.self, data, from: response)
        prompt(code.message ?? "To sign in, open \(code.verification_uri) and enter the code \(code.user_code).")
        var interval = max(1, code.interval ?? 5)
        let deadline = Date().addingTimeInterval(TimeInterval(code.expires_in))
        let url = tokenURL
        while Date() < deadline {
            try await Task.sleep(for: .seconds(interval))
            let (data, response) = try await postForm(url, "grant_type=\(Self.formEncode("urn:ietf:params:oauth:grant-type:device_code"))"
                + "&client_id=\(Self.formEncode(clientID))&device_code=\(Self.formEncode(code.device_code))")
            if response.statusCode == 200 {
                let token = try decode(TokenResponse.self, data, from: response)
                let value = Secret(token.access_token)
                cacheToken(value, expiresIn: token.expires_in)
                return value
            }
            let error = try? JSONDecoder().decode(TokenError.self, from: data)
            switch error?.error {
            case "authorization_pending": continue
            case "slow_down": interval += 5
            default:
                throw TenantError(kind: .authentication, endpoint: "POST \(url.absoluteString)", status: response.statusCode,
                                  detail: error.map { "\($0.error): \($0.error_description ?? "")" } ?? "device code sign-in failed")
            }
        }
        throw TenantError(kind: .authentication, endpoint: "POST \(url.absoluteString)", status: nil,
                          detail: "the device code expired before the sign-in was completed")
    }

    /// application/x-www-form-urlencoded of raw bytes (RFC 3986 unreserved kept), appended to `out`.
    static func formEncode(_ raw: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in raw {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xf)]]
            }
        }
    }

    static func formEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    // MARK: transport

    private func send(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:],
                      allow404: Bool = false) async throws -> (Data, HTTPURLResponse) {
        let url = URL(string: endpoint.apiURL.absoluteString.trimmingCharacters(in: ["/"]) + path)!
        let name = "\(method) \(url.absoluteString)"
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if body != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let token = try await accessToken()
        token.withUnsafeBytes { request.setValue("Bearer " + String(decoding: $0, as: UTF8.self), forHTTPHeaderField: "Authorization") }
        // PUT with a precondition is safe to repeat: a duplicate fails its precondition instead of overwriting.
        let (data, response) = try await perform(request, name: name, idempotent: true)
        switch response.statusCode {
        case 200..<300: return (data, response)
        case 404 where allow404: return (data, response)
        default:
            let problem = try? JSONDecoder().decode(Problem.self, from: data)
            let detail = problem?.description ?? String(decoding: data.prefix(300), as: UTF8.self)
            let kind: TenantError.Kind
            switch response.statusCode {
            case 401: kind = .authentication
            case 403: kind = .forbidden
            case 404: kind = .notFound
            case 409: kind = .conflict
            case 412, 428: kind = .preconditionFailed
            case 429: kind = .throttled
            case 500...: kind = .server
            default: kind = .protocolError
            }
            throw TenantError(kind: kind, endpoint: name, status: response.statusCode, detail: detail)
        }
    }

    /// Sends with bounded retries: 429 and 502/503/504 honouring Retry-After (capped at 30 s),
    /// and, for idempotent requests, a dropped connection. Backoff 0.5 s, 1 s, 2 s...
    private func perform(_ request: URLRequest, name: String, idempotent: Bool) async throws -> (Data, HTTPURLResponse) {
        var attempt = 0
        // One id per logical request, sent on every attempt, so server logs can be matched to ours.
        var request = request
        let requestID = UUID().uuidString.lowercased()
        request.setValue(requestID, forHTTPHeaderField: "client-request-id")
        while true {
            requestCount += 1
            let started = ContinuousClock.now
            do {
                // Not cancelled from outside: FoundationNetworking on Linux can deadlock when a task
                // is cancelled while URLSession resumes it (URLSessionTask.cancel under the task's
                // status lock vs. the completion waiting for that lock; seen as a hung `get`
                // whose LDAP side failed while the tenant request was in flight). The request
                // is bounded by its own timeout instead.
                let session = self.session
                let (data, response) = try await Task { try await session.data(for: request) }.value
                guard let http = response as? HTTPURLResponse else {
                    throw TenantError(kind: .protocolError, endpoint: name, status: nil, detail: "not an HTTP response")
                }
                tenantLog.debug("request", metadata: [
                    "request": "\(name)", "status": "\(http.statusCode)", "attempt": "\(attempt + 1)",
                    "client-request-id": "\(requestID)", "ms": "\(Int((ContinuousClock.now - started) / .milliseconds(1)))",
                ])
                if (300..<400).contains(http.statusCode) && http.statusCode != 304 {
                    let location = http.value(forHTTPHeaderField: "Location") ?? "(no Location)"
                    throw TenantError(kind: .protocolError, endpoint: name, status: http.statusCode,
                                      detail: "redirected to \(location); not followed: the tenant API never redirects, and a redirect would carry the credentials elsewhere")
                }
                if [429, 502, 503, 504].contains(http.statusCode), attempt < endpoint.maxRetries {
                    attempt += 1
                    try await Task.sleep(for: Self.delay(attempt: attempt, retryAfter: http.value(forHTTPHeaderField: "Retry-After")))
                    continue
                }
                return (data, http)
            } catch let error as URLError {
                let retriable = idempotent && !Self.isCertificateFailure(error)
                    && ([.networkConnectionLost, .cannotConnectToHost, .timedOut].contains(error.code)
                        || Self.isDroppedConnection(error))
                if retriable, attempt < endpoint.maxRetries {
                    attempt += 1
                    try await Task.sleep(for: Self.delay(attempt: attempt, retryAfter: nil))
                    continue
                }
                throw Self.classify(error, name: name, attempts: attempt + 1)
            }
        }
    }

    public static func delay(attempt: Int, retryAfter: String?) -> Duration {
        if let retryAfter, let seconds = Double(retryAfter.trimmingCharacters(in: .whitespaces)), seconds >= 0 {
            return .milliseconds(Int64(min(seconds, 30) * 1000))
        }
        return .milliseconds(Int64(500 * (1 << min(attempt - 1, 6))))
    }

    /// FoundationNetworking (libcurl) reports certificate failures as code -1 ("unknown"); only
    /// curl's message tells them apart ("SSL certificate problem: ...", "... subject name ...").
    static func isCertificateFailure(_ error: URLError) -> Bool {
        let text = error.localizedDescription.lowercased()
        return text.contains("ssl certificate") || text.contains("certificate subject name")
            || text.contains("certificate has expired") || text.contains("self-signed certificate")
    }

    /// A connection that the server closed or reset without an answer (code -1 or -1011 on Linux;
    /// curl's message says which).
    static func isDroppedConnection(_ error: URLError) -> Bool {
        let text = error.localizedDescription.lowercased()
        return error.code == .badServerResponse || text.contains("ssl_error_syscall") || text.contains("connection reset")
            || text.contains("empty reply") || text.contains("recv failure") || text.contains("server returned nothing")
    }

    public static func classify(_ error: URLError, name: String, attempts: Int) -> TenantError {
        let suffix = attempts > 1 ? " (after \(attempts) attempts)" : ""
        if isCertificateFailure(error) {
            return TenantError(kind: .tls, endpoint: name, status: nil,
                               detail: "TLS failed: \(error.localizedDescription); on Linux the tenant API's CA must be in the system bundle (/usr/local/share/ca-certificates + update-ca-certificates)")
        }
        switch error.code {
        case .serverCertificateUntrusted, .serverCertificateHasBadDate, .serverCertificateHasUnknownRoot,
             .serverCertificateNotYetValid, .secureConnectionFailed, .clientCertificateRejected:
            return TenantError(kind: .tls, endpoint: name, status: nil,
                               detail: "TLS failed: the server's certificate is not trusted by the system CA store (\(error.localizedDescription))")
        case .timedOut:
            return TenantError(kind: .timeout, endpoint: name, status: nil, detail: "timed out\(suffix)")
        default:
            return TenantError(kind: .unreachable, endpoint: name, status: nil, detail: "\(error.localizedDescription)\(suffix)")
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ data: Data, from response: HTTPURLResponse) throws -> T {
        do { return try JSONDecoder().decode(type, from: data) } catch {
            throw TenantError(kind: .protocolError, endpoint: response.url?.absoluteString ?? "", status: response.statusCode,
                              detail: "unexpected body: \(error)")
        }
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// Tenant API requests at debug level: method, URL, status, attempt, client-request-id; never
/// tokens, secrets or bodies.
let tenantLog = Logger(label: "aadkerb.tenant")
