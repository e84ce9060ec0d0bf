import Foundation
import Testing
@testable import WCFBinary
import Basics

func hex(_ s: String) -> [UInt8] { Hex.bytes(s, ignoringWhitespace: true)! }
func hexString(_ b: [UInt8]) -> String { b.map { Hex.string($0, uppercase: true) }.joined(separator: " ") }
func utf8(_ s: String) -> String { hexString(Array(s.utf8)) }

/// Decodes `bytes` as the children of a wrapper element <w>, so that a lone record (an attribute,
/// a text) can be checked; returns the wrapper.
func decodeInWrapper(_ bytes: [UInt8]) throws -> XElement {
    try WCFBinaryDecoder().decode([0x40, 0x01, 0x77] + bytes + [0x01])
}

@Suite struct MultiByteInt31Tests {
    // MC-NBFX 2.1.2: the boundaries of each encoded length.
    static let vectors: [(Int, String)] = [
        (0x00, "00"), (0x7F, "7F"), (0x80, "80 01"), (0x3FFF, "FF 7F"), (0x4000, "80 80 01"),
        (0x1F_FFFF, "FF FF 7F"), (0x20_0000, "80 80 80 01"), (0x0FFF_FFFF, "FF FF FF 7F"),
        (0x1000_0000, "80 80 80 80 01"), (0x7FFF_FFFF, "FF FF FF FF 07"),
    ]

    @Test func encodesAndDecodesEveryBoundary() throws {
        for (value, bytes) in Self.vectors {
            var out: [UInt8] = []
            Writer.appendMultiByteInt31(value, to: &out)
            #expect(hexString(out) == bytes, "\(value)")
            var r = Reader(bytes: hex(bytes), limits: .default)
            #expect(try r.multiByteInt31() == value)
            #expect(r.remaining == 0)
        }
    }

    @Test func refusesOverflow() {
        for bad in ["FF FF FF FF 08", "FF FF FF FF 7F", "80 80 80 80 80 01", "FF FF FF FF FF"] {
            var r = Reader(bytes: hex(bad), limits: .default)
            #expect(throws: WCFBinaryError.lengthOverflow(offset: 0)) { try r.multiByteInt31() }
        }
        var r = Reader(bytes: hex("80 80"), limits: .default)
        #expect(throws: WCFBinaryError.truncated(offset: 2)) { try r.multiByteInt31() }
    }
}

/// One vector per record type of MC-NBFX 2.2, assembled from the structure tables (record type,
/// then the fields in order), with the characters the spec says the record stands for.
@Suite struct RecordTests {
    @Test func elementRecords() throws {
        let d = WCFBinaryDecoder()
        // ShortElement (0x40) <doc></doc>
        #expect(try d.decode(hex("40 03 \(utf8("doc")) 01")).xmlString() == "<doc/>")
        // Element (0x41) <pre:doc>
        #expect(try d.decode(hex("41 03 \(utf8("pre")) 03 \(utf8("doc")) 01")).qualifiedName == "pre:doc")
        // ShortDictionaryElement (0x42), id 0x02 = Envelope (MC-NBFS)
        #expect(try d.decode(hex("42 02 01")).qualifiedName == "Envelope")
        // DictionaryElement (0x43) <pre:Body> (0x0E)
        #expect(try d.decode(hex("43 03 \(utf8("pre")) 0E 01")).qualifiedName == "pre:Body")
        // PrefixDictionaryElementA..Z (0x44..0x5D)
        #expect(try d.decode(hex("44 08 01")).qualifiedName == "a:Header")
        #expect(try d.decode(hex("56 02 01")).qualifiedName == "s:Envelope")
        #expect(try d.decode(hex("5D 0E 01")).qualifiedName == "z:Body")
        // PrefixElementA..Z (0x5E..0x77)
        #expect(try d.decode(hex("5E 03 \(utf8("doc")) 01")).qualifiedName == "a:doc")
        #expect(try d.decode(hex("77 03 \(utf8("doc")) 01")).qualifiedName == "z:doc")
    }

    @Test func attributeRecords() throws {
        func attrs(_ h: String) throws -> [XAttribute] { try WCFBinaryDecoder().decode(hex("40 01 61 " + h + " 01")).attributes }
        // ShortAttribute (0x04): attr="value"  (MC-NBFX 2.2.2.1's example characters)
        #expect(try attrs("04 04 \(utf8("attr")) 98 05 \(utf8("value"))") == [XAttribute("attr", "value")])
        // Attribute (0x05) pre:attr
        #expect(try attrs("05 03 \(utf8("pre")) 04 \(utf8("attr")) 86") == [XAttribute(prefix: "pre", "attr", "true")])
        // ShortDictionaryAttribute (0x06), id 0 = mustUnderstand
        #expect(try attrs("06 00 82") == [XAttribute("mustUnderstand", "1")])
        // DictionaryAttribute (0x07)
        #expect(try attrs("07 03 \(utf8("pre")) 00 80") == [XAttribute(prefix: "pre", "mustUnderstand", "0")])
        // ShortXmlnsAttribute (0x08), XmlnsAttribute (0x09)
        #expect(try attrs("08 05 \(utf8("urn:x"))") == [XAttribute("xmlns", "urn:x")])
        #expect(try attrs("09 01 70 05 \(utf8("urn:x"))") == [XAttribute(prefix: "xmlns", "p", "urn:x")])
        // ShortDictionaryXmlnsAttribute (0x0A), DictionaryXmlnsAttribute (0x0B): 0x04 = SOAP 1.2
        #expect(try attrs("0A 04") == [XAttribute("xmlns", "http://www.w3.org/2003/05/soap-envelope")])
        #expect(try attrs("0B 01 73 04") == [XAttribute(prefix: "xmlns", "s", "http://www.w3.org/2003/05/soap-envelope")])
        // PrefixDictionaryAttributeA..Z (0x0C..0x25), PrefixAttributeA..Z (0x26..0x3F)
        #expect(try attrs("0C 00 86") == [XAttribute(prefix: "a", "mustUnderstand", "true")])
        #expect(try attrs("25 00 84") == [XAttribute(prefix: "z", "mustUnderstand", "false")])
        #expect(try attrs("26 01 78 80") == [XAttribute(prefix: "a", "x", "0")])
        #expect(try attrs("3F 01 78 80") == [XAttribute(prefix: "z", "x", "0")])
    }

    @Test func textRecords() throws {
        func text(_ h: String) throws -> String { try decodeInWrapper(hex(h)).text }
        #expect(try text("80") == "0")
        #expect(try text("82") == "1")
        #expect(try text("84") == "false")
        #expect(try text("86") == "true")
        #expect(try text("88 DE") == "-34")
        #expect(try text("8A 00 80") == "-32768")
        #expect(try text("8C 15 CD 5B 07") == "123456789")
        #expect(try text("8E 00 00 00 00 00 00 00 80") == "-9223372036854775808")
        #expect(try text("90 CD CC 8C 3F") == "1.1")
        #expect(try text("90 00 00 80 7F") == "INF")
        #expect(try text("92 69 57 14 8B 0A BF 05 40") == "2.718281828459045")
        #expect(try text("92 00 00 00 00 00 00 F8 7F") == "NaN")
        // Decimal 5.123456: scale 6, magnitude 5123456 = 0x4E2D80
        #expect(try text("94 00 00 06 00 00 00 00 00 80 2D 4E 00 00 00 00 00") == "5.123456")
        #expect(try text("94 00 00 02 80 00 00 00 00 05 00 00 00 00 00 00 00") == "-0.05")
        // DateTime 2006-05-17T00:00:00 (ticks 632834208000000000, kind 0) and the same in UTC
        #expect(try text("96 00 40 8E F9 5B 47 C8 08") == "2006-05-17T00:00:00")
        #expect(try text("96 00 40 8E F9 5B 47 C8 48") == "2006-05-17T00:00:00Z")
        #expect(try text("98 03 \(utf8("abc"))") == "abc")
        #expect(try text("9A 03 00 \(utf8("abc"))") == "abc")
        #expect(try text("9C 03 00 00 00 \(utf8("abc"))") == "abc")
        #expect(try text("9E 03 01 02 03") == "AQID")
        #expect(try text("A0 03 00 01 02 03") == "AQID")
        #expect(try text("A2 03 00 00 00 01 02 03") == "AQID")
        #expect(try text("A4 88 7B 98 03 \(utf8("abc")) 86 A6") == "123 abc true")
        #expect(try text("A8") == "")
        #expect(try text("AA 0E") == "Body")
        #expect(try text("AC 33 22 11 00 55 44 77 66 88 99 AA BB CC DD EE FF") == "urn:uuid:00112233-4455-6677-8899-aabbccddeeff")
        #expect(try text("AE 00 38 4D 25 19 00 00 00") == "PT3H")  // 3 h = 108,000,000,000 ticks
        #expect(try text("B0 33 22 11 00 55 44 77 66 88 99 AA BB CC DD EE FF") == "00112233-4455-6677-8899-aabbccddeeff")
        #expect(try text("B2 FF FF FF FF FF FF FF FF") == "18446744073709551615")
        #expect(try text("B4 01") == "true")
        #expect(try text("B4 00") == "false")
        #expect(try text("B6 06 61 00 62 00 63 00") == "abc")
        #expect(try text("B8 06 00 61 00 62 00 63 00") == "abc")
        #expect(try text("BA 06 00 00 00 61 00 62 00 63 00") == "abc")
        #expect(try text("BC 08 0E 00 00") == "i:Body")
    }

    @Test func withEndElementClosesTheElement() throws {
        // <a>1</a><b/> inside <w>: OneTextWithEndElement (0x83) closes <a>
        let w = try decodeInWrapper(hex("40 01 61 83 40 01 62 01"))
        #expect(w.xmlString() == "<w><a>1</a><b/></w>")
        // Chars8TextWithEndElement (0x99)
        #expect(try decodeInWrapper(hex("40 01 61 99 02 \(utf8("hi"))")).xmlString() == "<w><a>hi</a></w>")
    }

    @Test func commentAndArray() throws {
        #expect(try decodeInWrapper(hex("02 07 \(utf8("comment"))")).children == [.comment("comment")])
        // Array (0x03): <a> x3 of Int32 (0x8D) 1, 2, 3
        let w = try decodeInWrapper(hex("03 40 01 61 01 8D 03 01 00 00 00 02 00 00 00 03 00 00 00"))
        #expect(w.xmlString() == "<w><a>1</a><a>2</a><a>3</a></w>")
    }

    /// Published by Microsoft (Carlos Figueira, "WCF Binary XML and dictionaries"): <Envelope></Envelope>
    /// as a ShortElement with its name spelled out.
    @Test func publishedShortElement() throws {
        #expect(try WCFBinaryDecoder().decode(hex("40 08 45 6E 76 65 6C 6F 70 65 01")) == XElement("Envelope"))
    }

    /// MC-NBFS 2.1: the first entries of the static dictionary, the SOAP 1.2 and WS-Addressing
    /// strings every message uses, and the last id.
    @Test func staticDictionary() {
        #expect(StaticDictionary.string(id: 0x00) == "mustUnderstand")
        #expect(StaticDictionary.string(id: 0x02) == "Envelope")
        #expect(StaticDictionary.string(id: 0x04) == "http://www.w3.org/2003/05/soap-envelope")
        #expect(StaticDictionary.string(id: 0x06) == "http://www.w3.org/2005/08/addressing")
        #expect(StaticDictionary.string(id: 0x08) == "Header")
        #expect(StaticDictionary.string(id: 0x0A) == "Action")
        #expect(StaticDictionary.string(id: 0x0C) == "To")
        #expect(StaticDictionary.string(id: 0x0E) == "Body")
        #expect(StaticDictionary.strings.count == 487)
        #expect(StaticDictionary.string(id: 0x3CE) == nil)
        #expect(StaticDictionary.string(id: 0x03) == nil)
    }
}

@Suite struct EncoderTests {
    static let soap = XElement(prefix: "s", "Envelope", attributes: [
        .namespace("s", "http://www.w3.org/2003/05/soap-envelope"),
        .namespace("a", "http://www.w3.org/2005/08/addressing"),
    ], children: [
        .element(XElement(prefix: "s", "Header", children: [
            .element(XElement(prefix: "a", "Action", attributes: [XAttribute(prefix: "s", "mustUnderstand", "1")],
                              children: [.text("urn:op")])),
        ])),
        .element(XElement(prefix: "s", "Body", children: [.element(XElement("Op", attributes: [.namespace("", "urn:ns")]))])),
    ])

    @Test func soapEnvelopeByteForByte() {
        let expected = """
            56 02 0B 01 73 04 0B 01 61 06
            56 08 44 0A 1E 00 98 01 31 99 06 \(utf8("urn:op")) 01
            56 0E 40 02 \(utf8("Op")) 08 06 \(utf8("urn:ns")) 01 01
            01
            """
        #expect(hexString(WCFBinaryEncoder().encode(Self.soap)) == hexString(hex(expected)))
    }

    @Test func roundTrips() throws {
        let bytes = WCFBinaryEncoder().encode(Self.soap)
        #expect(try WCFBinaryDecoder().decode(bytes) == Self.soap)
        let long = XElement("zzz", children: [.text(String(repeating: "x", count: 300))])
        let b = WCFBinaryEncoder().encode(long)
        #expect(Array(b.prefix(8)) == [0x40, 0x03, 0x7A, 0x7A, 0x7A, 0x9B, 0x2C, 0x01])  // Chars16TextWithEndElement
        #expect(try WCFBinaryDecoder().decode(b) == long)
        let huge = XElement("t", attributes: [XAttribute("v", "")], children: [.text(String(repeating: "é", count: 40_000))])
        #expect(try WCFBinaryDecoder().decode(WCFBinaryEncoder().encode(huge)) == huge)
    }

    @Test func xmlTextEscapes() {
        let e = XElement("a", attributes: [XAttribute("q", "\"<&>\n")], children: [.text("1 < 2 & 3")])
        #expect(e.xmlString() == "<a q=\"&quot;&lt;&amp;&gt;&#xA;\">1 &lt; 2 &amp; 3</a>")
    }
}

/// MC-NBFSE: the StringTable at the head of each message adds strings to the session's in-band
/// dictionary with ids 1, 3, 5, ...; later messages may refer to them without repeating them.
@Suite struct SessionDictionaryTests {
    @Test func stringTableAndOddIDs() throws {
        // table: "Hello" (id 1), "urn:x" (id 3); then <Hello xmlns="urn:x"/> by dictionary records
        let table = "05 \(utf8("Hello")) 05 \(utf8("urn:x"))"
        let message = hex("0C \(table) 42 01 0A 03 01")
        var session = SessionDictionary()
        let e = try WCFBinaryDecoder().decodeSession(message, session: &session)
        #expect(e == XElement("Hello", attributes: [.namespace("", "urn:x")]))
        #expect(session.strings == ["Hello", "urn:x"])
        // a second message: empty table, the same ids
        let second = try WCFBinaryDecoder().decodeSession(hex("00 42 01 01"), session: &session)
        #expect(second.name == "Hello")
        // without the session, id 1 is unknown
        #expect(throws: WCFBinaryError.unknownDictionaryString(id: 1, offset: 1)) { try WCFBinaryDecoder().decode(hex("42 01 01")) }
    }

    @Test func encoderAddsOnlyNewStrings() throws {
        var tx = SessionDictionary(), rx = SessionDictionary()
        let doc = XElement("Hello", attributes: [.namespace("", "urn:x")], children: [.element(XElement("Body"))])
        let first = WCFBinaryEncoder().encodeSession(doc, session: &tx)
        #expect(hexString(first) == hexString(hex("0C 05 \(utf8("Hello")) 05 \(utf8("urn:x")) 42 01 0A 03 42 0E 01 01")))
        let second = WCFBinaryEncoder().encodeSession(doc, session: &tx)
        #expect(hexString(second) == hexString(hex("00 42 01 0A 03 42 0E 01 01")))
        #expect(try WCFBinaryDecoder().decodeSession(first, session: &rx) == doc)
        #expect(try WCFBinaryDecoder().decodeSession(second, session: &rx) == doc)
    }

    @Test func refusesATableThatLies() {
        var s = SessionDictionary()
        // table size 9 but the string inside claims 20 bytes
        #expect(throws: WCFBinaryError.self) { try WCFBinaryDecoder().decodeSession(hex("09 14 \(utf8("abcdefgh"))"), session: &s) }
        // table size past the end
        #expect(throws: WCFBinaryError.truncated(offset: 1)) { try WCFBinaryDecoder().decodeSession(hex("7F 00"), session: &s) }
    }
}
