import Basics
import Foundation
import Testing

@Suite struct HexTests {
    @Test func encodesAndDecodes() {
        #expect(Hex.string([0x00, 0x0a, 0xde, 0xad, 0xff]) == "000adeadff")
        #expect(Hex.string([0xab], uppercase: true) == "AB")
        #expect(Hex.bytes("000adeadFF") == [0x00, 0x0a, 0xde, 0xad, 0xff])
        #expect(Hex.bytes("de ad\n be\tef", ignoringWhitespace: true) == [0xde, 0xad, 0xbe, 0xef])
        let all = (0...255).map(UInt8.init)
        #expect(Hex.bytes(Hex.string(all)) == all)
    }

    @Test(arguments: ["abc", "zz", "0x00", "de ad", "٣٣", "-1"])
    func refusesWhatIsNotHex(_ text: String) {
        #expect(Hex.bytes(text) == nil)
    }

    /// The GUID text of AD's byte order (first three fields little-endian), as .NET writes it.
    @Test func guidsRoundTripInADsByteOrder() throws {
        let bytes: [UInt8] = [0xa5, 0x79, 0x46, 0x7c, 0xbe, 0xcf, 0x95, 0x48, 0xbe, 0xd7, 0xbe, 0x9b, 0xa9, 0x55, 0x09, 0xc1]
        #expect(Hex.guid(bytes) == "7c4679a5-cfbe-4895-bed7-be9ba95509c1")
        #expect(Hex.guidBytes("7c4679a5-cfbe-4895-bed7-be9ba95509c1") == bytes)
        #expect(Hex.guid([1, 2, 3]) == nil)
        #expect(Hex.guidBytes("7c4679a5cfbe-4895-bed7-be9ba95509c1") == nil)
        #expect(UUID(uuidString: Hex.guid(bytes)!) != nil)
    }
}

@Suite struct GeneralizedTimeTests {
    @Test func kerberosTimeIsWholeSecondsWithZ() throws {
        let date = Date(timeIntervalSince1970: 1_750_000_000.9)
        #expect(GeneralizedTime.string(date) == "20250615150640Z")
        #expect(GeneralizedTime.date("20250615150640Z", kerberos: true) == Date(timeIntervalSince1970: 1_750_000_000))
        #expect(GeneralizedTime.date("20250615150640.0Z", kerberos: true) == nil)  // KerberosTime has no fraction
        #expect(GeneralizedTime.date("20250615150640.0Z") == Date(timeIntervalSince1970: 1_750_000_000))
        #expect(GeneralizedTime.date("20250615150640") == nil)  // no Z
        #expect(GeneralizedTime.date("20250615150640.Z") == nil)
        #expect(GeneralizedTime.date("20250229000000Z") == nil)  // not a leap year
    }
}

@Suite struct DNSNameTests {
    @Test func hostNameSyntax() {
        #expect(DNSName.isValid("contoso.corp.com"))
        #expect(DNSName.isValid("a-b.example"))
        #expect(!DNSName.isValid("-a.example"))
        #expect(!DNSName.isValid("a..example"))
        #expect(!DNSName.isValid(String(repeating: "a", count: 64) + ".com"))
        #expect(!DNSName.isValid("contoso.corp.com)(x"))
    }
}
