import Testing
@testable import LDAPClient

@Suite struct DistinguishedNameTests {
    @Test func parsesASimpleDN() throws {
        let dn = try DistinguishedName(parsing: "CN=krbtgt_AzureAD,CN=Users,DC=contoso,DC=corp,DC=com")
        #expect(dn.rdns.count == 5)
        #expect(dn.rdns[0] == [.init(type: "CN", value: "krbtgt_AzureAD")])
        #expect(dn.domainDNSName == "contoso.corp.com")
        #expect(dn.parent?.description == "CN=Users,DC=contoso,DC=corp,DC=com")
    }

    @Test func decodesEscapedSpecialsAndHexPairsAsUTF8() throws {
        let dn = try DistinguishedName(parsing: #"CN=Smith\, John \+ Co,OU=S\C3\A3o Paulo,DC=x"#)
        #expect(dn.rdns[0][0].value == "Smith, John + Co")
        #expect(dn.rdns[1][0].value == "São Paulo")
    }

    @Test func parsesMultiValuedRDNsAndHexStrings() throws {
        let dn = try DistinguishedName(parsing: "CN=a+UID=b,1.3.6.1.4.1.1466.0=#04024869,DC=x")
        #expect(dn.rdns[0].count == 2)
        #expect(dn.rdns[0][1] == .init(type: "UID", value: "b"))
        #expect(dn.rdns[1][0].value == "#04024869")
    }

    @Test func comparesCaseInsensitivelyAsADDoes() throws {
        #expect(try DistinguishedName(parsing: "cn=AzureADKerberos,ou=Domain Controllers,dc=Contoso,dc=COM")
            == DistinguishedName(parsing: "CN=azureadkerberos,OU=domain controllers,DC=contoso,DC=com"))
    }

    @Test(arguments: [
        "Smith, John", " leading space", "trailing space ", "#hash", "a+b=c;d<e>f\"g\\h", "tab\there", "plain",
        "nul\0byte",
    ])
    func serialisingThenParsingRoundTrips(_ value: String) throws {
        let dn = DistinguishedName(domainDNSName: "contoso.com").child("CN", value)
        let reparsed = try DistinguishedName(parsing: dn.description)
        #expect(reparsed.rdns[0][0].value == value)
        #expect(reparsed.rdns.count == 3)
    }

    @Test func hostileValueStaysOneRDN() throws {
        let hostile = "x,CN=Administrator,CN=Users"
        let dn = DistinguishedName(domainDNSName: "contoso.com").child("CN", hostile)
        #expect(dn.description == #"CN=x\,CN\=Administrator\,CN\=Users,DC=contoso,DC=com"#)
        #expect(try DistinguishedName(parsing: dn.description).rdns.count == 3)
    }

    @Test func descendantRelation() throws {
        let domain = DistinguishedName(domainDNSName: "contoso.com")
        let user = domain.child("CN", "Users").child("CN", "x")
        #expect(user.isDescendant(of: domain))
        #expect(!domain.isDescendant(of: user))
        #expect(!domain.isDescendant(of: domain))
    }

    @Test(arguments: [
        ("CN", DistinguishedName.ParseError.missingEquals(position: 2)),
        ("CN=a,", .empty),
        ("CN=a\\", .invalidEscape(position: 4)),
        ("CN=a\\zz", .invalidEscape(position: 4)),
        ("CN=a\\4", .invalidEscape(position: 4)),
        ("CN=\\FF\\FE", .invalidUTF8),
        ("C N=a", .invalidAttributeType("C N")),
        ("CN=a\"b", .unexpectedCharacter("\"", position: 4)),
        ("=a", .invalidAttributeType("")),
        // positions count Unicode scalars, not UTF-8 bytes
        ("CN=Zoë\"b", .unexpectedCharacter("\"", position: 6)),
        ("CN=日本\\q", .invalidEscape(position: 5)),
        ("CN=#0A\u{00E9}", .unexpectedCharacter("\u{00E9}", position: 6)),
        ("OID.=a", .invalidAttributeType("OID.")),
        ("CN=a\\é", .invalidEscape(position: 4)),
    ])
    func rejectsMalformedInput(_ input: String, _ expected: DistinguishedName.ParseError) {
        #expect(throws: expected) { try DistinguishedName(parsing: input) }
    }

    @Test func emptyStringIsTheRootDN() throws {
        #expect(try DistinguishedName(parsing: "").rdns.isEmpty)
    }
}
