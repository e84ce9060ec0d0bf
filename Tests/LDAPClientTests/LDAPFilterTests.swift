import Testing
@testable import LDAPClient

@Suite struct LDAPFilterTests {
    @Test func escapesTheFiveSpecialsOfRFC4515() {
        #expect(LDAPFilter.escape("a*b(c)d\\e\0f") == "a\\2ab\\28c\\29d\\5ce\\00f")
    }

    @Test func leavesOrdinaryAndNonASCIITextAlone() {
        #expect(LDAPFilter.escape("Jöhn Dœ-42 @ contoso.com") == "Jöhn Dœ-42 @ contoso.com")
    }

    @Test(arguments: [
        "*", ")(objectClass=*", "*)(|(objectClass=*)", "x)(&)", "\\2a", "admin*)((|userPassword=*)", "\0",
    ])
    func hostileValuesCannotChangeTheFilterStructure(_ hostile: String) {
        let rendered = LDAPFilter.and([.equal("objectClass", "user"), .equal("sAMAccountName", hostile)]).description
        // Exactly the structural parentheses of the two assertions and the AND remain.
        #expect(rendered.filter { $0 == "(" }.count == 3)
        #expect(rendered.filter { $0 == ")" }.count == 3)
        #expect(!rendered.contains("*"))
        #expect(rendered.hasPrefix("(&(objectClass=user)(sAMAccountName="))
    }

    @Test func binaryValuesAreFullyHexEscaped() {
        #expect(LDAPFilter.escape(bytes: [0x00, 0x2a, 0xff, 0x41]) == "\\00\\2a\\ff\\41")
        #expect(LDAPFilter.equalBytes("objectGUID", [0x28, 0x29]).description == "(objectGUID=\\28\\29)")
    }

    @Test func composesAndOrNotPresentAndBitwise() {
        let f = LDAPFilter.and([.present("cn"), .not(.or([.equal("a", "1"), .equal("b", "2")])),
                                .bitwiseAnd("userAccountControl", 2)])
        #expect(f.description == "(&(cn=*)(!(|(a=1)(b=2)))(userAccountControl:1.2.840.113556.1.4.803:=2))")
    }

    @Test(arguments: ["cn", "msDS-KeyVersionNumber", "2.5.4.3", "member;range=0-1499".replacingOccurrences(of: "=0-1499", with: ""), "cn;binary"])
    func acceptsValidAttributeDescriptions(_ name: String) {
        #expect(LDAPFilter.isValidAttribute(name))
    }

    @Test(arguments: ["", "1cn", "c n", "cn=", "cn)(x", "2.5.04.3", "2.", "cn;", "ü"])
    func rejectsInvalidAttributeDescriptions(_ name: String) {
        #expect(!LDAPFilter.isValidAttribute(name))
    }

    /// The check `description` promises: a filter naming a bad attribute description stops the
    /// program instead of being sent (exit test: the child process must die, the good one not).
    @Test func anInvalidAttributeStopsTheFilterFromBeingWritten() async {
        await #expect(processExitsWith: .failure) {
            _ = LDAPFilter.and([.present("objectClass"), .equal("cn)(|(cn", "x")]).description
        }
        await #expect(processExitsWith: .failure) {
            _ = LDAPFilter.bitwiseAnd("", 2).description
        }
        await #expect(processExitsWith: .success) {
            _ = LDAPFilter.and([.present("objectClass"), .equal("cn", "x)(y"), .bitwiseAnd("userAccountControl", 2)]).description
        }
    }
}
