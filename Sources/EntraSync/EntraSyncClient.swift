import Foundation
import Logging
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Basics
import TenantAPI
import TenantClient
import WCFBinary

/// Where the Entra Connect sync web service is, and how to sign in to it.
public struct EntraEndpoint: Sendable {
    /// The public cloud's service (the address Microsoft's cmdlets and the reimplementations use).
    public static let defaultServiceURL = URL(string: "https://adminwebservice.microsoftonline.com/provisioningservice.svc")!
    public static let defaultAuthority = URL(string: "https://login.microsoftonline.com")!
    /// The token audience the service accepts: the Azure AD Graph resource.
    public static let scope = "https://graph.windows.net/.default"

    public var serviceURL: URL
    /// The tenant (id or verified domain) tokens are asked for; "organizations" for a person's
    /// home tenant.
    public var tenant: String
    public var authority: URL
    public var timeout: Duration
    /// Retries after 429/503 (the reads are idempotent).
    public var maxRetries: Int
    /// Redirects to another server (BindingRedirectionFault) followed before giving up.
    public var maxRedirects: Int

    public init(serviceURL: URL = defaultServiceURL, tenant: String, authority: URL = defaultAuthority,
                timeout: Duration = .seconds(30), maxRetries: Int = 3, maxRedirects: Int = 3) {
        self.serviceURL = serviceURL
        self.tenant = tenant
        self.authority = authority
        self.timeout = timeout
        self.maxRetries = maxRetries
        self.maxRedirects = maxRedirects
    }
}

/// The tenant's key-encryption settings as GetKerberosDomainSyncConfig answers them.
public struct EntraSyncConfig: Sendable, Equatable {
    public var publicEncryptionKey: ECK1PublicKey?
    /// Base64 as the service sent it (kept when it does not decode as ECK1).
    public var publicEncryptionKeyBase64: String?
    public var securedEncryptionAlgorithm: String?
    public var securedKeyId: String?
    public var securedPartitionId: String?
    /// Every element of the result, path -> text.
    public var elements: [(String, String)]

    public static func == (a: Self, b: Self) -> Bool {
        a.publicEncryptionKey == b.publicEncryptionKey && a.securedEncryptionAlgorithm == b.securedEncryptionAlgorithm
            && a.securedKeyId == b.securedKeyId && a.securedPartitionId == b.securedPartitionId
            && a.elements.map { "\($0.0)=\($0.1)" } == b.elements.map { "\($0.0)=\($0.1)" }
    }
}

/// One read with what the service said, for --show-raw-response.
public struct EntraRead<Value: Sendable>: Sendable {
    public var value: Value
    /// The decoded response envelopes (each redirect's too), secrets removed.
    public var rawResponses: [String]
}

/// Client of the Entra Connect sync web service: the two read operations, over SOAP 1.2 in WCF
/// binary XML, with the token in the SyncToken header. Errors are TenantErrors (the CLI maps
/// their kinds to exit codes as for the tenant API). Read-only: no write operation is public.
public actor EntraSyncClient {
    public let endpoint: EntraEndpoint
    private let tokens: TenantClient
    private let session: URLSession
    private let logger = Logger(label: "aadkerb.entra")
    /// HTTP requests to the service (retries and redirects included).
    public private(set) var requestCount = 0

    /// `credentials` as for the tenant API (device code, certificate, ready token); tokens are
    /// asked for the Azure AD Graph resource at `endpoint.authority`.
    public init(endpoint: EntraEndpoint, credentials: TenantCredentials, prompt: @escaping @Sendable (String) -> Void = { _ in }) {
        self.endpoint = endpoint
        tokens = TenantClient(endpoint: TenantEndpoint(tenant: endpoint.tenant, apiURL: endpoint.serviceURL, authority: endpoint.authority,
                                                       timeout: endpoint.timeout, maxRetries: endpoint.maxRetries, scope: EntraEndpoint.scope),
                              credentials: credentials, prompt: prompt)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = Double(endpoint.timeout.components.seconds) + Double(endpoint.timeout.components.attoseconds) / 1e18
        configuration.urlCache = nil
        // HTTP redirects are never followed (the body carries the token); the service's own
        // redirect answer is followed by `call`, to allowed hosts only.
        session = URLSession(configuration: configuration, delegate: NoHTTPRedirects(), delegateQueue: nil)
    }

    public func getKerberosDomainSyncConfig() async throws -> EntraRead<EntraSyncConfig> {
        let (result, raw) = try await call(.getKerberosDomainSyncConfig, parameters: [])
        let elements = result.map(Self.leaves) ?? []
        func field(_ name: String) -> String? { elements.first { $0.0.split(separator: "/").last.map(String.init)?.lowercased() == name.lowercased() }?.1 }
        var config = EntraSyncConfig(publicEncryptionKey: nil, publicEncryptionKeyBase64: field("PublicEncryptionKey"),
                                     securedEncryptionAlgorithm: field("SecuredEncryptionAlgorithm"), securedKeyId: field("SecuredKeyId"),
                                     securedPartitionId: field("SecuredPartitionId"), elements: elements)
        if let b64 = config.publicEncryptionKeyBase64 {
            guard let blob = Data(base64Encoded: b64) else {
                throw EntraError.make(kind: .protocolError, endpoint: endpointName(.getKerberosDomainSyncConfig), status: 200,
                                  detail: "PublicEncryptionKey is not base64")
            }
            do { config.publicEncryptionKey = try ECK1PublicKey(blob: Array(blob)) } catch {
                throw EntraError.make(kind: .protocolError, endpoint: endpointName(.getKerberosDomainSyncConfig), status: 200, detail: "\(error)")
            }
        }
        return EntraRead(value: config, rawResponses: raw)
    }

    /// The tenant's KerberosDomain for `dnsDomainName`, nil when the service has none.
    public func getKerberosDomain(_ dnsDomainName: String) async throws -> EntraRead<EntraKerberosDomain?> {
        let (result, raw) = try await call(.getKerberosDomain, parameters: [("dnsDomainName", dnsDomainName)])
        guard let result, !result.elements.isEmpty else { return EntraRead(value: nil, rawResponses: raw) }
        return EntraRead(value: EntraKerberosDomain(elements: Self.leaves(result)), rawResponses: raw)
    }

    /// Every leaf element under `e`, as (path of local names, text), in document order.
    static func leaves(_ e: XElement) -> [(String, String)] {
        var out: [(String, String)] = []
        func walk(_ e: XElement, _ path: String) {
            if e.elements.isEmpty {
                if !e.attributes.contains(where: { $0.name == "nil" && $0.value == "true" }) { out.append((path, e.text)) }
                return
            }
            for c in e.elements { walk(c, path.isEmpty ? c.name : path + "/" + c.name) }
        }
        for c in e.elements { walk(c, c.name) }
        return out
    }

    private func endpointName(_ op: EntraSOAP.Operation) -> String { "\(op.rawValue) \(endpoint.serviceURL.absoluteString)" }

    /// A redirect may go to the same host, or to a host under the service host's parent domain
    /// (adminwebservice.microsoftonline.com -> *.microsoftonline.com), over https only: the
    /// request body holds the token.
    static func redirectAllowed(from origin: URL, to target: URL) -> Bool {
        guard target.scheme?.lowercased() == "https", let host = target.host?.lowercased(), let originHost = origin.host?.lowercased() else { return false }
        if host == originHost { return true }
        let labels = originHost.split(separator: ".")
        guard labels.count >= 3, !originHost.allSatisfy({ $0.isNumber || $0 == "." }) else { return false }
        let parent = labels.dropFirst().joined(separator: ".")
        return host.hasSuffix("." + parent)
    }

    /// One operation: the token, the envelope, POST, decode; retries on 429/503, follows the
    /// service's redirects (bounded).
    func call(_ op: EntraSOAP.Operation, parameters: [(String, String)]) async throws -> (XElement?, [String]) {
        var url = endpoint.serviceURL
        var raw: [String] = []
        var redirects = 0
        while true {
            let token = try await tokens.token()
            // the token goes into the body as text: the one String copy is dropped with the body
            let envelope = token.withUnsafeBytes { EntraSOAP.request(op, to: url, token: String(decoding: $0, as: UTF8.self), parameters: parameters) }
            let body = WCFBinaryEncoder().encode(envelope)
            let (data, response) = try await post(body, to: url, op: op)
            let answer: XElement
            do {
                answer = try WCFBinaryDecoder().decode(Array(data))
            } catch {
                throw EntraError.make(kind: .protocolError, endpoint: "\(op.rawValue) \(url.absoluteString)", status: response.statusCode,
                                  detail: "the answer is not WCF binary XML: \(error)")
            }
            raw.append(EntraSOAP.redacted(answer).xmlString(indent: " "))
            switch EntraSOAP.answer(answer, op: op) {
            case .result(let r)?:
                guard response.statusCode == 200 else {
                    throw EntraError.make(kind: .protocolError, endpoint: "\(op.rawValue) \(url.absoluteString)", status: response.statusCode,
                                      detail: "HTTP \(response.statusCode) with a result")
                }
                return (r, raw)
            case .redirect(let target)?:
                redirects += 1
                logger.debug("redirected", metadata: ["from": "\(url)", "to": "\(target)", "redirect": "\(redirects)"])
                guard redirects <= endpoint.maxRedirects else {
                    throw EntraError.make(kind: .protocolError, endpoint: "\(op.rawValue) \(endpoint.serviceURL.absoluteString)", status: response.statusCode,
                                      detail: "more than \(endpoint.maxRedirects) redirects (last to \(target.absoluteString))")
                }
                guard Self.redirectAllowed(from: endpoint.serviceURL, to: target) else {
                    throw EntraError.make(kind: .protocolError, endpoint: "\(op.rawValue) \(url.absoluteString)", status: response.statusCode,
                                      detail: "refused a redirect to \(target.absoluteString): not https on the service's own domain")
                }
                url = target
            case .fault(let fault)?:
                throw EntraError.make(kind: Self.kind(of: fault, status: response.statusCode), endpoint: "\(op.rawValue) \(url.absoluteString)",
                                  status: response.statusCode, detail: fault.description)
            case nil:
                throw EntraError.make(kind: .protocolError, endpoint: "\(op.rawValue) \(url.absoluteString)", status: response.statusCode,
                                  detail: "the answer is not a SOAP envelope with \(op.rawValue)Response or a Fault")
            }
        }
    }

    /// A fault's kind, from the words of its code and detail (inferred: the service's fault
    /// vocabulary is not public; docs/entra.md).
    static func kind(of fault: EntraSOAP.Fault, status: Int) -> TenantError.Kind {
        let words = ([fault.code, fault.subcode ?? ""] + fault.detail).joined(separator: " ").lowercased()
        if words.contains("accessdenied") || words.contains("unauthorizedaccess") || words.contains("permission") { return .forbidden }
        if words.contains("authentication") || words.contains("invalidtoken") || words.contains("expiredtoken") || words.contains("securitytoken") {
            return .authentication
        }
        if words.contains("throttl") { return .throttled }
        return .server
    }

    private func post(_ body: [UInt8], to url: URL, op: EntraSOAP.Operation) async throws -> (Data, HTTPURLResponse) {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue(EntraSOAP.contentType, forHTTPHeaderField: "Content-Type")
        request.setValue(UUID().uuidString.lowercased(), forHTTPHeaderField: "client-request-id")
        request.httpBody = Data(body)
        let name = "\(op.rawValue) \(url.absoluteString)"
        var attempt = 0
        while true {
            attempt += 1
            requestCount += 1
            let start = ContinuousClock.now
            let data: Data, response: HTTPURLResponse
            do {
                let (d, r) = try await session.data(for: request)
                guard let http = r as? HTTPURLResponse else { throw URLError(.badServerResponse) }
                data = d
                response = http
            } catch let error as URLError {
                var e = TenantClient.classify(error, name: name, attempts: attempt)
                e.service = EntraError.service
                throw e
            }
            logger.debug("entra request", metadata: ["op": "\(op.rawValue)", "url": "\(url)", "status": "\(response.statusCode)",
                                                     "attempt": "\(attempt)", "ms": "\((ContinuousClock.now - start).components.seconds * 1000)"])
            switch response.statusCode {
            case 200:
                return (data, response)
            case 500 where Self.isBinary(response):  // a SOAP fault
                return (data, response)
            case 429 where attempt <= endpoint.maxRetries, 503 where attempt <= endpoint.maxRetries:
                try await Task.sleep(for: TenantClient.delay(attempt: attempt, retryAfter: response.value(forHTTPHeaderField: "Retry-After")))
                continue
            default:
                let kind: TenantError.Kind
                switch response.statusCode {
                case 401: kind = .authentication
                case 403: kind = .forbidden
                case 404: kind = .notFound
                case 429: kind = .throttled
                case 500...: kind = .server
                default: kind = .protocolError
                }
                let text = String(decoding: data.prefix(300), as: UTF8.self).filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0.isPunctuation || $0 == " ") }
                throw EntraError.make(kind: kind, endpoint: name, status: response.statusCode,
                                  detail: text.isEmpty ? "HTTP \(response.statusCode)" : text)
            }
        }
    }

    static func isBinary(_ r: HTTPURLResponse) -> Bool {
        r.value(forHTTPHeaderField: "Content-Type")?.lowercased().hasPrefix(EntraSOAP.contentType) == true
    }
}

/// EntraSync's errors are TenantErrors (one mapping to exit codes), named as this service's.
public enum EntraError {
    public static let service = "Entra sync service"
    public static func make(kind: TenantError.Kind, endpoint: String, status: Int?, detail: String) -> TenantError {
        TenantError(kind: kind, endpoint: endpoint, status: status, detail: detail, service: service)
    }
}

final class NoHTTPRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}
