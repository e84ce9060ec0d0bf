import Foundation
import WCFBinary

/// The SOAP 1.2 envelopes of the Entra Connect sync web service (docs/entra.md says which parts
/// are known from public reimplementations and which are inferred).
public enum EntraSOAP {
    public static let soapNamespace = "http://www.w3.org/2003/05/soap-envelope"
    public static let addressingNamespace = "http://www.w3.org/2005/08/addressing"
    /// The operations' namespace, and the prefix of their actions.
    public static let serviceNamespace = "http://schemas.microsoft.com/online/aws/change/2010/01"
    public static let actionPrefix = serviceNamespace + "/IProvisioningWebService/"
    /// The header that carries the token (the reimplementations' SyncToken).
    public static let syncTokenNamespace = "urn:microsoft.online.administrativeservice"
    public static let contentType = "application/soap+msbin1"

    public enum Operation: String, Sendable, CaseIterable {
        case getKerberosDomainSyncConfig = "GetKerberosDomainSyncConfig"
        case getKerberosDomain = "GetKerberosDomain"
        public var action: String { EntraSOAP.actionPrefix + rawValue }
    }

    /// The request: Action, MessageID, To, the token header, and `<Op>` with its parameters.
    public static func request(_ op: Operation, to url: URL, token: String, parameters: [(String, String)],
                               messageID: UUID = UUID()) -> XElement {
        let soap = "s", wsa = "a"
        let action = XElement(prefix: wsa, "Action", attributes: [XAttribute(prefix: soap, "mustUnderstand", "1")],
                              children: [.text(op.action)])
        let syncToken = XElement("SyncToken", attributes: [XAttribute(prefix: soap, "role", syncTokenNamespace),
                                                          .namespace("", syncTokenNamespace)],
                                 children: [.element(XElement("BearerToken", attributes: [.namespace("", serviceNamespace)],
                                                              children: [.text(token)]))])
        let header = XElement(prefix: soap, "Header", children: [
            .element(action),
            .element(syncToken),
            .element(XElement(prefix: wsa, "MessageID", children: [.text("urn:uuid:" + messageID.uuidString.lowercased())])),
            .element(XElement(prefix: wsa, "To", attributes: [XAttribute(prefix: soap, "mustUnderstand", "1")],
                              children: [.text(url.absoluteString)])),
        ])
        let call = XElement(op.rawValue, attributes: [.namespace("", serviceNamespace)],
                            children: parameters.map { .element(XElement($0.0, children: [.text($0.1)])) })
        return XElement(prefix: soap, "Envelope", attributes: [.namespace(soap, soapNamespace), .namespace(wsa, addressingNamespace)],
                        children: [.element(header), .element(XElement(prefix: soap, "Body", children: [.element(call)]))])
    }

    /// What a response says: a result element, a redirect, or a fault.
    public enum Answer: Sendable, Equatable {
        /// `<OpResult>` (nil when the service answered `i:nil="true"` or no result element).
        case result(XElement?)
        /// A fault whose detail names another server for this tenant (BindingRedirectionFault/Url).
        case redirect(URL)
        case fault(Fault)
    }

    public struct Fault: Sendable, Equatable, CustomStringConvertible {
        public var code: String
        public var subcode: String?
        public var reason: String
        /// The local names of the detail's elements (e.g. an exception type).
        public var detail: [String]
        public var description: String {
            "SOAP fault \(code)\(subcode.map { "/\($0)" } ?? ""): \(reason)\(detail.isEmpty ? "" : " (\(detail.joined(separator: ", ")))")"
        }
    }

    public static func answer(_ envelope: XElement, op: Operation) -> Answer? {
        guard envelope.name == "Envelope", let body = envelope.child("Body") else { return nil }
        if let fault = body.child("Fault") {
            if let redirect = fault.first("BindingRedirectionFault"), let url = redirect.first("Url").map({ $0.text.trimmingCharacters(in: .whitespaces) }),
               let target = URL(string: url) {
                return .redirect(target)
            }
            let code = fault.child("Code")
            func value(_ e: XElement?) -> String? { e?.child("Value")?.text.trimmingCharacters(in: .whitespaces) }
            let reason = fault.child("Reason")?.elements.first?.text ?? fault.child("faultstring")?.text ?? ""
            var detail: [String] = []
            for e in fault.child("Detail")?.elements ?? [] { detail.append(e.name); detail += e.elements.map(\.name) }
            return .fault(Fault(code: value(code) ?? fault.child("faultcode")?.text ?? "unknown", subcode: value(code?.child("Subcode")),
                                reason: reason, detail: detail))
        }
        guard let response = body.child(op.rawValue + "Response") else { return nil }
        guard let result = response.child(op.rawValue + "Result") else { return .result(nil) }
        if result.attributes.contains(where: { $0.name == "nil" && $0.value == "true" }) { return .result(nil) }
        return .result(result)
    }

    /// The envelope as text with every secret removed, for --show-raw-response: the token header,
    /// and any element whose name says key, secret, token or password, keep only their length.
    public static func redacted(_ e: XElement) -> XElement {
        var copy = e
        let lower = e.name.lowercased()
        let secretive = ["token", "secret", "password", "privatekey", "credential"].contains { lower.contains($0) }
            && !lower.hasSuffix("id") && !lower.hasSuffix("type")
        if secretive, !e.text.isEmpty {
            copy.children = [.text("[redacted: \(e.text.utf8.count) characters]")]
            return copy
        }
        copy.children = e.children.map { if case .element(let c) = $0 { .element(redacted(c)) } else { $0 } }
        return copy
    }
}
