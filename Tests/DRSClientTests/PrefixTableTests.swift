import Testing
@testable import DRSClient
import Basics

@Suite struct PrefixTableTests {
    @Test(arguments: [
        ("1.2.840.113556.1.4.125", UInt32(0x0009_007d)),   // supplementalCredentials
        ("1.2.840.113556.1.4.90", 0x0009_005a),            // unicodePwd
        ("1.2.840.113556.1.4.1782", 0x0009_06f6),          // msDS-KeyVersionNumber: two-byte last arc
    ])
    func attrTypesFromTheDefaultTable(_ oid: String, _ attrType: UInt32) {
        #expect(PrefixTable.requestDefaults.attrType(for: oid) == attrType)
    }

    /// A last arc of 16384 or more takes three BER bytes; its first byte joins the prefix and the
    /// top bit of the lower word says so (MS-DRSR 5.16.4).
    @Test func aLastArcOf16384OrMore() {
        let table = PrefixTable(prefixes: [0x2f: h("2a864886f714010481")])
        #expect(table.attrType(for: "1.2.840.113556.1.4.16385") == 0x002f_8001)
        #expect(table.oid(for: 0x002f_8001) == "1.2.840.113556.1.4.16385")
        #expect(PrefixTable.requestDefaults.attrType(for: "1.2.840.113556.1.4.16385") == nil)
    }

    @Test func oidsFromAServersTable() {
        let table = PrefixTable(prefixes: [0: h("5504"), 9: h("2a864886f7140104"), 0x1234: h("2a864886f7140104")])
        #expect(table.oid(for: 0x0009_007d) == "1.2.840.113556.1.4.125")
        #expect(table.oid(for: 0x1234_007d) == "1.2.840.113556.1.4.125")  // the server's own numbering is honoured
        #expect(table.oid(for: 0x0009_06f6) == "1.2.840.113556.1.4.1782")
        #expect(table.oid(for: 0x0000_0003) == "2.5.4.3")                  // cn
        #expect(table.oid(for: 0x0007_0001) == nil)
    }

    @Test func berOIDs() {
        #expect(BER.encode(oid: "1.2.840.113556.1.4")?.hex == "2a864886f7140104")
        #expect(BER.decode(oid: h("2a864886f7140104")) == "1.2.840.113556.1.4")
        #expect(BER.encode(oid: "2.999.3")?.hex == "883703")
        #expect(BER.decode(oid: h("883703")) == "2.999.3")
        #expect(BER.encode(oid: "1") == nil && BER.encode(oid: "1.x") == nil && BER.encode(oid: "1.40") == nil)
        #expect(BER.decode(oid: h("2a86")) == nil)  // ends inside an arc
    }
}
