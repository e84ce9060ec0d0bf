import Foundation
import OpenSSLSupport
import Testing
import WCFBinary
@testable import EntraSync

@Suite struct EnvelopeTests {
    @Test func requestCarriesActionTokenAndParameters() throws {
        let url = URL(string: "https://adminwebservice.microsoftonline.com/provisioningservice.svc")!
        let e = EntraSOAP.request(.getKerberosDomain, to: url, token: "tok", parameters: [("dnsDomainName", "contoso.com")])
        #expect(e.qualifiedName == "s:Envelope")
        #expect(e.first("Action")?.text == "http://schemas.microsoft.com/online/aws/change/2010/01/IProvisioningWebService/GetKerberosDomain")
        #expect(e.first("BearerToken")?.text == "tok")
        #expect(e.first("To")?.text == url.absoluteString)
        #expect(e.first("GetKerberosDomain")?.declaredNamespace("") == EntraSOAP.serviceNamespace)
        #expect(e.first("dnsDomainName")?.text == "contoso.com")
        // it goes over the wire and back unchanged
        #expect(try WCFBinaryDecoder().decode(WCFBinaryEncoder().encode(e)) == e)
        // redacted: the token is gone, its length stays
        let shown = EntraSOAP.redacted(e).xmlString()
        #expect(!shown.contains(">tok<"))
        #expect(shown.contains("[redacted: 3 characters]"))
    }

    static func response(_ op: String, _ result: XElement?) -> XElement {
        var r = XElement(op + "Response", attributes: [.namespace("", EntraSOAP.serviceNamespace)])
        if let result { r.children = [.element(result)] }
        return XElement(prefix: "s", "Envelope", attributes: [.namespace("s", EntraSOAP.soapNamespace)],
                        children: [.element(XElement(prefix: "s", "Body", children: [.element(r)]))])
    }

    @Test func answers() {
        let result = XElement("GetKerberosDomainResult", children: [.element(XElement("KeyVersion", children: [.text("7")]))])
        #expect(EntraSOAP.answer(Self.response("GetKerberosDomain", result), op: .getKerberosDomain) == .result(result))
        let nilResult = XElement("GetKerberosDomainResult", attributes: [XAttribute(prefix: "i", "nil", "true")])
        #expect(EntraSOAP.answer(Self.response("GetKerberosDomain", nilResult), op: .getKerberosDomain) == .result(nil))
        #expect(EntraSOAP.answer(Self.response("Other", nil), op: .getKerberosDomain) == nil)
        let redirect = XElement(prefix: "s", "Envelope", children: [.element(XElement(prefix: "s", "Body", children: [.element(
            XElement(prefix: "s", "Fault", children: [.element(XElement(prefix: "s", "Detail", children: [.element(
                XElement("BindingRedirectionFault", children: [.element(XElement("Url", children: [.text("https://x.microsoftonline.com/p.svc")]))]))]))]))]))])
        #expect(EntraSOAP.answer(redirect, op: .getKerberosDomain) == .redirect(URL(string: "https://x.microsoftonline.com/p.svc")!))
        let fault = XElement(prefix: "s", "Envelope", children: [.element(XElement(prefix: "s", "Body", children: [.element(
            XElement(prefix: "s", "Fault", children: [
                .element(XElement(prefix: "s", "Code", children: [.element(XElement(prefix: "s", "Value", children: [.text("s:Sender")]))])),
                .element(XElement(prefix: "s", "Reason", children: [.element(XElement(prefix: "s", "Text", children: [.text("no")]))])),
                .element(XElement(prefix: "s", "Detail", children: [.element(XElement("AccessDeniedException"))])),
            ]))]))])
        guard case .fault(let f)? = EntraSOAP.answer(fault, op: .getKerberosDomain) else { Issue.record("no fault"); return }
        #expect(f == EntraSOAP.Fault(code: "s:Sender", subcode: nil, reason: "no", detail: ["AccessDeniedException"]))
        #expect(EntraSyncClient.kind(of: f, status: 500) == .forbidden)
        #expect(EntraSyncClient.kind(of: EntraSOAP.Fault(code: "s:Sender", subcode: "a:InvalidSecurityToken", reason: "", detail: []), status: 500) == .authentication)
        #expect(EntraSyncClient.kind(of: EntraSOAP.Fault(code: "s:Receiver", subcode: nil, reason: "boom", detail: []), status: 500) == .server)
    }

    @Test func redirectsOnlyToTheServicesDomainOverHTTPS() {
        let origin = URL(string: "https://adminwebservice.microsoftonline.com/provisioningservice.svc")!
        #expect(EntraSyncClient.redirectAllowed(from: origin, to: URL(string: "https://adminwebservice-s1-co2.microsoftonline.com/provisioningservice.svc")!))
        #expect(EntraSyncClient.redirectAllowed(from: origin, to: URL(string: "https://adminwebservice.microsoftonline.com/other.svc")!))
        #expect(!EntraSyncClient.redirectAllowed(from: origin, to: URL(string: "http://adminwebservice-s1.microsoftonline.com/p.svc")!))
        #expect(!EntraSyncClient.redirectAllowed(from: origin, to: URL(string: "https://microsoftonline.com.evil.example/p.svc")!))
        #expect(!EntraSyncClient.redirectAllowed(from: origin, to: URL(string: "https://evilmicrosoftonline.com/p.svc")!))
        let emulator = URL(string: "https://127.0.0.40:8443/moved/provisioningservice.svc")!
        #expect(EntraSyncClient.redirectAllowed(from: emulator, to: URL(string: "https://127.0.0.40:8443/provisioningservice.svc")!))
        #expect(!EntraSyncClient.redirectAllowed(from: emulator, to: URL(string: "https://0.0.40:8443/provisioningservice.svc")!))
        #expect(!EntraSyncClient.redirectAllowed(from: emulator, to: URL(string: "https://127.0.0.62:8443/provisioningservice.svc")!))
    }
}

@Suite struct ECK1Tests {
    @Test func decodesAPoint() throws {
        let pair = try P256KeyPair()
        let point = pair.publicKey
        let key = try ECK1PublicKey(sec1: point)
        #expect(key.blob.count == 72)
        #expect(Array(key.blob.prefix(8)) == [0x45, 0x43, 0x4B, 0x31, 0x20, 0, 0, 0])
        #expect(try ECK1PublicKey(blob: key.blob).sec1 == point)
        #expect(key.subjectPublicKeyInfo.count == 91)
        #expect(key.pem.hasPrefix("-----BEGIN PUBLIC KEY-----\n"))
        #expect(key.spkiSHA256.count == 64)
    }

    @Test func refusesWhatIsNotECK1() throws {
        let key = try ECK1PublicKey(sec1: try P256KeyPair().publicKey)
        var wrongMagic = key.blob; wrongMagic[3] = 0x35  // ECK5: P-521
        #expect(throws: ECK1PublicKey.Failure.self) { try ECK1PublicKey(blob: wrongMagic) }
        var offCurve = key.blob; offCurve[71] ^= 1
        #expect(throws: ECK1PublicKey.Failure.notECK1("the point is not on P-256")) { try ECK1PublicKey(blob: offCurve) }
        #expect(throws: ECK1PublicKey.Failure.self) { try ECK1PublicKey(blob: Array(key.blob.prefix(40))) }
        var wrongLength = key.blob; wrongLength[4] = 48
        #expect(throws: ECK1PublicKey.Failure.notECK1("key length 48, not 32")) { try ECK1PublicKey(blob: wrongLength) }
    }
}

@Suite struct MappingTests {
    @Test func mapsTolerantlyAndKeepsEverything() throws {
        let d = EntraKerberosDomain(elements: [("DnsDomainName", "contoso.com"), ("KerberosDomainId", "27015"), ("keyversion", "41"),
                                               ("KeyUpdatedTime", "2026-01-01T00:00:00Z"), ("Extra/Nested", "x")])
        let k = try d.kerberosDomain(requested: "contoso.com")
        #expect(k.id == 27015 && k.keyVersion == 41 && k.displayName == "krbtgt_27015" && k.keyUpdatedOn == "2026-01-01T00:00:00Z")
        #expect(d.unmapped.map(\.0) == ["Extra/Nested"])
        #expect(throws: EntraKerberosDomain.MappingFailure.self) { try EntraKerberosDomain(elements: [("Id", "1")]).kerberosDomain(requested: "a.b") }
        #expect(throws: EntraKerberosDomain.MappingFailure.self) {
            try EntraKerberosDomain(elements: [("Id", "one"), ("KeyVersion", "1")]).kerberosDomain(requested: "a.b")
        }
    }
}
