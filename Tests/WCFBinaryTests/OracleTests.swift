import Foundation
import TestSupport
import Testing
@testable import WCFBinary
import Basics

/// The independent implementation: python-wcfbin (`wcf` 0.5.5, PyPI), through the documented shim
/// in Tests/Fixtures/wcf_oracle.py. Both directions: wcf reads what WCFBinaryEncoder wrote, and
/// WCFBinaryDecoder reads what wcf wrote; the documents are compared after ElementTree parses
/// them (namespaces resolved). wcf's printer does not escape &, < and > in text, so the corpus
/// keeps them out of text (the escaping is checked in EncoderTests).
@Suite struct OracleTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/wcf_oracle.py").path

    static let corpus: [String] = [
        #"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:Action s:mustUnderstand="1">http://schemas.microsoft.com/online/aws/change/2010/01/IProvisioningWebService/GetKerberosDomain</a:Action><a:MessageID>urn:uuid:9ab4e2a4-5b7a-4d39-9c1b-2f0e1f7c2a11</a:MessageID><BearerToken xmlns="urn:microsoft.online.administrativeservice">redacted</BearerToken></s:Header><s:Body><GetKerberosDomain xmlns="http://schemas.microsoft.com/online/aws/change/2010/01"><dnsDomainName>contoso.corp.com</dnsDomainName></GetKerberosDomain></s:Body></s:Envelope>"#,
        #"<doc><a x="1">text</a><b/><c y="v" z="w">more text here</c></doc>"#,
        #"<p:root xmlns:p="urn:p" xmlns="urn:default"><p:child p:attr="q">é ü 漢字</p:child><plain>0</plain><other>true</other></p:root>"#,
        "<long>" + String(repeating: "abcdefghij", count: 40) + "</long>",
    ]

    struct Result: Decodable {
        let xml: String?
        let hex: String?
        let canon: AnyJSON?
        let error: String?
    }

    /// Any JSON value, compared structurally.
    indirect enum AnyJSON: Decodable, Equatable {
        case string(String), array([AnyJSON])
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { self = .string(s) } else { self = .array(try c.decode([AnyJSON].self)) }
        }
    }

    static func oracle(_ cases: [[String: String]]) async throws -> [Result] {
        let input = String(decoding: try JSONEncoder().encode(cases), as: UTF8.self)
        let r = try await ChildProcess.run("/usr/bin/env", ["python3", fixtures], stdin: input)
        guard r.status == 0 else {
            throw OracleFailure(message: "wcf_oracle.py exited \(r.status): \(r.stderr). Is `wcf==0.5.5` installed (scripts/install-deps)?")
        }
        return try JSONDecoder().decode([Result].self, from: Data(r.output))
    }

    struct OracleFailure: Error, CustomStringConvertible { let message: String; var description: String { message } }

    /// A minimal XML reader for the corpus (no DTD, no CDATA): enough to build the tree to encode.
    static func parse(_ xml: String) throws -> XElement {
        let p = MiniXML(Array(xml.unicodeScalars))
        var q = p
        return try q.element()
    }

    @Test func wcfReadsWhatWeWrite() async throws {
        let trees = try Self.corpus.map(Self.parse)
        let encoded = trees.map { WCFBinaryEncoder().encode($0) }
        let results = try await Self.oracle(encoded.map { ["op": "decode", "hex": Hex.string($0)] }
                                      + Self.corpus.map { ["op": "canon", "xml": $0] })
        for i in Self.corpus.indices {
            let wcf = results[i], original = results[Self.corpus.count + i]
            #expect(wcf.error == nil, "wcf could not read case \(i): \(wcf.error ?? "")")
            #expect(original.error == nil)
            #expect(wcf.canon != nil && wcf.canon == original.canon, "case \(i): wcf read \(wcf.xml ?? "-")")
        }
    }

    @Test func weReadWhatWcfWrites() async throws {
        let results = try await Self.oracle(Self.corpus.map { ["op": "encode", "xml": $0] })
        for (i, r) in results.enumerated() {
            #expect(r.error == nil, "wcf could not write case \(i): \(r.error ?? "")")
            guard let h = r.hex else { continue }
            let ours = try WCFBinaryDecoder().decode(hex(h))
            let check = try await Self.oracle([["op": "canon", "xml": ours.xmlString()]])
            #expect(check[0].canon != nil && check[0].canon == r.canon, "case \(i): we read \(ours.xmlString())")
        }
    }

    /// wcf writes the text records WCFBinaryEncoder never emits (UnicodeChars8Text, the numeric
    /// and boolean ones, dictionary names the encoder spells out): the decoder must read them all.
    @Test func wcfUsesOtherRecordTypesThanOurEncoder() async throws {
        let r = try await Self.oracle([["op": "encode", "xml": Self.corpus[2]]])
        let bytes = hex(try #require(r[0].hex))
        #expect(bytes.contains(0xB6) || bytes.contains(0xB7) || bytes.contains(0x86) || bytes.contains(0x80))
    }
}

/// Just enough XML for the oracle corpus: elements, attributes, text, &amp;-style entities.
struct MiniXML {
    var s: [Unicode.Scalar]
    var i = 0
    init(_ s: [Unicode.Scalar]) { self.s = s }
    struct Bad: Error {}

    mutating func name() -> String {
        var n = ""
        while i < s.count, !" \t\n/>=".unicodeScalars.contains(s[i]) { n.unicodeScalars.append(s[i]); i += 1 }
        return n
    }
    mutating func skipSpace() { while i < s.count, s[i] == " " || s[i] == "\n" || s[i] == "\t" { i += 1 } }
    static func split(_ q: String) -> (String, String) {
        if let c = q.firstIndex(of: ":") { return (String(q[..<c]), String(q[q.index(after: c)...])) }
        return ("", q)
    }
    static func unescape(_ t: String) -> String {
        t.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
    }

    mutating func element() throws -> XElement {
        guard i < s.count, s[i] == "<" else { throw Bad() }
        i += 1
        let (p, n) = Self.split(name())
        var e = XElement(prefix: p, n)
        while true {
            skipSpace()
            guard i < s.count else { throw Bad() }
            if s[i] == "/" { i += 2; return e }
            if s[i] == ">" { i += 1; break }
            let (ap, an) = Self.split(name())
            i += 2  // ="
            var v = ""
            while s[i] != "\"" { v.unicodeScalars.append(s[i]); i += 1 }
            i += 1
            e.attributes.append(XAttribute(prefix: ap, an, Self.unescape(v)))
        }
        while true {
            guard i < s.count else { throw Bad() }
            if s[i] == "<" {
                if s[i + 1] == "/" {
                    while s[i] != ">" { i += 1 }
                    i += 1
                    return e
                }
                e.children.append(.element(try element()))
            } else {
                var t = ""
                while s[i] != "<" { t.unicodeScalars.append(s[i]); i += 1 }
                e.children.append(.text(Self.unescape(t)))
            }
        }
    }
}
