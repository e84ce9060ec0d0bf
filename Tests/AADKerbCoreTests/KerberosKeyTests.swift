import OpenSSLSupport
import Secrets
import Testing
@testable import AADKerbCore

@Suite struct KerberosKeyTests {
    func hex(_ s: String) -> [UInt8] {
        let s = s.replacingOccurrences(of: " ", with: "")
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex { let j = s.index(i, offsetBy: 2); out.append(UInt8(s[i..<j], radix: 16)!); i = j }
        return out
    }

    func bytes(_ s: Secret) -> [UInt8] { s.withUnsafeBytes { Array($0) } }

    // RFC 3961 appendix A.1
    @Test(arguments: [
        ("012345", 64, "be072631276b1955"),
        ("password", 56, "78a07b6caf85fa"),
        ("Rough Consensus, and Running Code", 64, "bb6ed30870b7f0e0"),
        ("password", 168, "59e4a8ca7c0385c3c37b3f6d2000247cb6e6bd5b3e"),
        ("MASSACHVSETTS INSTITVTE OF TECHNOLOGY", 192, "db3b0d8f0b061e603282b308a50841229ad798fab9540c1b"),
        ("kerberos", 64, "6b65726265726f73"),
        ("kerberos", 128, "6b65726265726f737b9b5b2b93132b93"),
        ("kerberos", 168, "8372c236344e5f1550cd0747e15d62ca7a5a3bcea4"),
        ("kerberos", 256, "6b65726265726f737b9b5b2b93132b935c9bdcdad95c9899c4cae4dee6d6cae4"),
    ])
    func nfoldMatchesRFC3961(_ input: String, _ bits: Int, _ expected: String) {
        #expect(KerberosKey.nfold(Array(input.utf8), bits: bits) == hex(expected))
    }

    // RFC 3962 appendix B
    @Test(arguments: [
        (1, "ATHENA.MIT.EDUraeburn", "fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161"),
        (2, "ATHENA.MIT.EDUraeburn", "a2e16d16b36069c135d5e9d2e25f896102685618b95914b467c67622225824ff"),
        (1200, "ATHENA.MIT.EDUraeburn", "55a6ac740ad17b4846941051e1e8b0a7548d93b0ab30a8bc3ff16280382b8c2a"),
    ])
    func stringToKeyMatchesRFC3962(_ iterations: Int, _ salt: String, _ expected: String) throws {
        let key = try KerberosKey.aes256(password: Secret("password"), salt: salt, iterations: iterations)
        #expect(bytes(key) == hex(expected))
    }

    @Test func stringToKeyWithAPassphraseLongerThanABlock() throws {
        // RFC 3962 B: 64 'X' characters, salt "pass phrase equals block size", 1200 iterations
        let key = try KerberosKey.aes256(password: Secret(String(repeating: "X", count: 64)),
                                         salt: "pass phrase equals block size", iterations: 1200)
        #expect(bytes(key) == hex("89adee3608db8bc71f1bfbfe459486b05618b70cbae22092534e56c553ba4b34"))
    }

    @Test func saltIsTheUpperCaseRealmAndTheAccountName() {
        #expect(KerberosKey.salt(realm: "contoso.corp.com", samAccountName: "krbtgt_8364") == "CONTOSO.CORP.COMkrbtgt_8364")
    }
}
