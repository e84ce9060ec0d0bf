import Foundation
import Hummingbird
import NIOCore
import OpenSSLSupport
import TenantAPI
import WCFBinary
import Basics

/// The emulator of the Entra Connect sync web service's two read operations (docs/entra.md):
/// SOAP 1.2 in WCF binary XML (`application/soap+msbin1`) at /provisioningservice.svc, the token
/// in the SyncToken/BearerToken header, answers from the same KerberosDomain store as the tenant
/// API. What the real service answers is partly inferred; this emulator answers the same shapes
/// the client expects, so that the client is tested end to end over the real encoding.
///
/// Test paths play a service that moved: /moved/... answers a BindingRedirectionFault to
/// /provisioningservice.svc on the same host, /loop/... to itself, /away/... to another host.
/// A domain under .invalid gets a SOAP fault (the service refusing a domain), and fault
/// injection rules (/_emulator/faults, path prefix /provisioningservice.svc) apply as elsewhere.
extension TenantAPIServer {
    static let entraSyncPaths = ["/provisioningservice.svc", "/moved/provisioningservice.svc",
                                 "/loop/provisioningservice.svc", "/away/provisioningservice.svc"]
    static let soapNamespace = "http://www.w3.org/2003/05/soap-envelope"
    static let entraServiceNamespace = "http://schemas.microsoft.com/online/aws/change/2010/01"
    static let entraActionPrefix = entraServiceNamespace + "/IProvisioningWebService/"

    func registerEntraSync(_ router: Router<TenantRequestContext>) {
        for path in Self.entraSyncPaths {
            router.post(RouterPath(path)) { request, context in
                try await entraSync(request, context, path: path)
            }
        }
    }

    private func entraSync(_ request: Request, _ context: TenantRequestContext, path: String) async throws -> Response {
        if let faults, let rule = await faults.take(method: "POST", path: request.uri.path) {
            if let delay = rule.delayMs { try await Task.sleep(for: .milliseconds(delay)) }
            if rule.drop == true {
                try await context.channel.close()
                return Response(status: .internalServerError)
            }
            if let status = rule.status {
                var headers: HTTPFields = [.contentType: "text/plain"]
                if let retryAfter = rule.retryAfter { headers[.retryAfter] = String(retryAfter) }
                return Response(status: HTTPResponse.Status(code: status), headers: headers,
                                body: .init(byteBuffer: ByteBuffer(string: "injected fault \(status)")))
            }
        }
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/soap+msbin1") == true else {
            return Response(status: .unsupportedMediaType)
        }
        let body = try await request.body.collect(upTo: 1 << 20)
        let envelope: XElement
        do {
            envelope = try WCFBinaryDecoder().decode(Array(buffer: body))
        } catch {
            return Self.soapFault(code: "s:Sender", reason: "the request is not WCF binary XML: \(error)", detail: "DeserializationFault")
        }
        guard envelope.name == "Envelope", let action = envelope.first("Action")?.text, action.hasPrefix(Self.entraActionPrefix) else {
            return Self.soapFault(code: "s:Sender", reason: "no Action of IProvisioningWebService", detail: "ActionNotSupportedFault")
        }
        // the token: HTTP 401/403 as the tenant API answers them
        guard let token = envelope.first("BearerToken")?.text, !token.isEmpty else {
            return Response(status: .unauthorized)
        }
        guard let tenant = Self.unverifiedTenant(token) else { return Response(status: .unauthorized) }
        let claims: TokenIssuer.Claims
        do { claims = try await tokens.verify(token, tenant: tenant) } catch {
            return Response(status: .unauthorized, headers: [.wwwAuthenticate: #"Bearer error="invalid_token""#],
                            body: .init(byteBuffer: ByteBuffer(string: error.description)))
        }
        guard claims.roles.contains(where: [TenantRole.readWrite, TenantRole.read].contains) else {
            return Response(status: .forbidden, body: .init(byteBuffer: ByteBuffer(string: "client \(claims.sub) lacks the role \(TenantRole.read)")))
        }
        // a service that moved
        if path != "/provisioningservice.svc" {
            let host = request.head.authority ?? "127.0.0.1"
            let target: String
            switch path {
            case "/moved/provisioningservice.svc": target = "https://\(host)/provisioningservice.svc"
            case "/loop/provisioningservice.svc": target = "https://\(host)/loop/provisioningservice.svc"
            default: target = "https://elsewhere.invalid/provisioningservice.svc"
            }
            return Self.soapFault(code: "s:Receiver", reason: "the tenant is served elsewhere", detail: "BindingRedirectionFault",
                                  detailChildren: [XElement("Url", children: [.text(target)])])
        }
        let op = String(action.dropFirst(Self.entraActionPrefix.count))
        switch op {
        case "GetKerberosDomainSyncConfig":
            let key = try await vault.tenantKey(tenant).publicKey  // SEC1: 04 || X || Y
            let eck1 = Array("ECK1".utf8) + [32, 0, 0, 0] + Array(key.dropFirst())
            return Self.soapResult(op, [
                ("PublicEncryptionKey", Data(eck1).base64EncodedString()),
                ("SecuredEncryptionAlgorithm", EncryptedKey.algorithm),
                ("SecuredKeyId", KeyEnvelope.keyID(key)),
                ("SecuredPartitionId", "0"),
            ])
        case "GetKerberosDomain":
            let domain = (envelope.first("dnsDomainName")?.text ?? "").lowercased()
            guard DNSName.isValid(domain) else {
                return Self.soapFault(code: "s:Sender", reason: "'\(domain)' is not a DNS domain name", detail: "InvalidParameterFault")
            }
            if domain.hasSuffix(".invalid") {
                return Self.soapFault(code: "s:Sender", reason: "\(domain) is not a verified domain of the tenant", detail: "InvalidDomainFault")
            }
            guard let (value, _) = try await store.get(tenant: tenant, domain: domain) else { return Self.soapResult(op, nil) }
            var fields: [(String, String)] = [("DisplayName", value.displayName), ("DomainDnsName", value.domainDnsName),
                                              ("Id", String(value.id)), ("KeyVersion", String(value.keyVersion))]
            if let on = value.keyUpdatedOn { fields.append(("KeyUpdatedOn", on)) }
            if let from = value.keyUpdatedFrom { fields.append(("KeyUpdatedFrom", from)) }
            if let kvno = value.currentKey?.kvno { fields.append(("CurrentKeyKvno", String(kvno))) }
            return Self.soapResult(op, fields)
        default:
            return Self.soapFault(code: "s:Sender", reason: "operation \(op) is not served here", detail: "ActionNotSupportedFault")
        }
    }

    /// The tenant a token claims, read before the signature is checked (verify checks it next).
    static func unverifiedTenant(_ token: String) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let payload = Base64URL.decode(parts[1]),
              let json = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any] else { return nil }
        return json["tid"] as? String
    }

    static func soapEnvelope(_ body: XElement) -> XElement {
        XElement(prefix: "s", "Envelope", attributes: [.namespace("s", soapNamespace)],
                 children: [.element(XElement(prefix: "s", "Body", children: [.element(body)]))])
    }

    static func soapResponse(_ status: HTTPResponse.Status, _ envelope: XElement) -> Response {
        Response(status: status, headers: [.contentType: "application/soap+msbin1", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(bytes: WCFBinaryEncoder().encode(envelope))))
    }

    /// `<OpResponse><OpResult>fields</OpResult></OpResponse>`; a nil result is `i:nil="true"`.
    static func soapResult(_ op: String, _ fields: [(String, String)]?) -> Response {
        var result = XElement(op + "Result")
        if let fields {
            result.children = fields.map { .element(XElement($0.0, children: [.text($0.1)])) }
        } else {
            result.attributes = [.namespace("i", "http://www.w3.org/2001/XMLSchema-instance"), XAttribute(prefix: "i", "nil", "true")]
        }
        return soapResponse(.ok, soapEnvelope(XElement(op + "Response", attributes: [.namespace("", entraServiceNamespace)],
                                                        children: [.element(result)])))
    }

    /// A SOAP 1.2 fault, HTTP 500 as WCF sends them.
    static func soapFault(code: String, reason: String, detail: String, detailChildren: [XElement] = []) -> Response {
        let fault = XElement(prefix: "s", "Fault", children: [
            .element(XElement(prefix: "s", "Code", children: [.element(XElement(prefix: "s", "Value", children: [.text(code)]))])),
            .element(XElement(prefix: "s", "Reason", children: [.element(XElement(prefix: "s", "Text", attributes: [XAttribute(prefix: "xml", "lang", "en-US")],
                                                                                 children: [.text(reason)]))])),
            .element(XElement(prefix: "s", "Detail", children: [.element(XElement(detail, attributes: [.namespace("", entraServiceNamespace)],
                                                                                 children: detailChildren.map { .element($0) }))])),
        ])
        return soapResponse(.internalServerError, soapEnvelope(fault))
    }
}
