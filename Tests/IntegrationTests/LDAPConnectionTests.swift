import Foundation
@testable import LDAPClient
import Testing
import Basics

/// The LDAP layer against a real Samba AD DC: writes with controls, server diagnostics, paging,
/// escaping and concurrency.
@Suite struct LDAPConnectionTests {
    /// DRSUAPI must reach the DC that LDAP talks to: the connection names its peer's address.
    @Test func peerAddressIsTheDCConnectedTo() async throws {
        for name in ["contoso", "fabrikam"] {
            let dc = try await Fixture.shared.dc(name)
            #expect(await (try dc.adminConnection()).peerAddress() == dc.ip)
        }
    }

    @Test func writesReadsAndKeepsTheServersDiagnostics() async throws {
        let dc = try await Fixture.shared.dc("fabrikam")
        let c = try await dc.adminConnection()
        let ou = try await dc.scratchOU(c)
        let user = "CN=u1,\(ou)"
        try await c.add(user, attributes: [
            LDAPModification(.add, "objectClass", strings: ["user"]),
            LDAPModification(.add, "description", strings: ["first"]),
        ])
        let again = await #expect(throws: LDAPError.self) {
            try await c.add(user, attributes: [LDAPModification(.add, "objectClass", strings: ["user"])])
        }
        #expect(again?.code == .entryAlreadyExists)

        try await c.modify(user, [LDAPModification(.replace, "description", strings: ["second"]),
                                  LDAPModification(.add, "otherTelephone", strings: ["1", "2"])])
        let entry = try #require(try await c.read(user, attributes: ["description", "otherTelephone"]))
        #expect(entry.string("description") == "second")
        #expect(Set(entry.strings("otherTelephone")) == ["1", "2"])

        // A system-only attribute: Samba's own diagnostic must come through intact.
        let systemOnly = await #expect(throws: LDAPError.self) {
            try await c.modify(user, [LDAPModification(.replace, "msDS-SecondaryKrbTgtNumber", strings: ["65536"])])
        }
        #expect(systemOnly?.code == .constraintViolation)
        #expect(systemOnly?.diagnosticMessage?.contains("0000202F") == true)
        #expect(systemOnly?.description.contains(user) == true)

        // Non-leaf delete needs the tree-delete control.
        let nonLeaf = await #expect(throws: LDAPError.self) { try await c.delete(ou) }
        #expect(nonLeaf?.code == .notAllowedOnNonLeaf)
        #expect(nonLeaf?.diagnosticMessage?.contains("00002015") == true)
        try await c.delete(ou, controls: [.treeDelete])
        #expect(try await c.read(user, attributes: ["cn"]) == nil)
    }

    @Test func theDCPromoControlMakesTheDCAssignTheKrbtgtNumber() async throws {
        let dc = try await Fixture.shared.dc("fabrikam")
        let c = try await dc.adminConnection()
        let ou = try await dc.scratchOU(c)
        defer { Task { try? await c.delete(ou, controls: [.treeDelete]) } }
        let dn = "CN=krbtgt_probe,\(ou)"
        try await c.add(dn, attributes: [LDAPModification(.add, "objectClass", strings: ["user"]),
                                         LDAPModification(.add, "userAccountControl", strings: ["514"])],
                        controls: [.rodcDCPromo])
        let e = try #require(try await c.read(dn, attributes: ["msDS-SecondaryKrbTgtNumber", "sAMAccountName", "msDS-KeyVersionNumber"]))
        let n = try #require(e.integer("msDS-SecondaryKrbTgtNumber"))
        #expect(e.string("sAMAccountName") == "krbtgt_\(n)")
        #expect(e.integer("msDS-KeyVersionNumber") == 1)
        try await c.delete(ou, controls: [.treeDelete])
    }

    @Test func pagedSearchReturnsEverythingAcrossPages() async throws {
        let dc = try await Fixture.shared.dc("fabrikam")
        let c = try await dc.adminConnection()
        let ou = try await dc.scratchOU(c)
        for i in 0..<23 {
            try await c.add("CN=c\(i),\(ou)", attributes: [LDAPModification(.add, "objectClass", strings: ["container"])])
        }
        let before = await c.requestCount
        let paged = try await c.search(base: ou, scope: .oneLevel, filter: .equal("objectClass", "container"),
                                       attributes: ["cn"], pageSize: 5)
        let requests = await c.requestCount - before
        #expect(paged.count == 23)
        #expect(Set(paged.compactMap { $0.string("cn") }).count == 23)
        #expect(requests == 5)  // 5 + 5 + 5 + 5 + 3
        let unpaged = try await c.search(base: ou, scope: .oneLevel, filter: .equal("objectClass", "container"),
                                         attributes: ["cn"], pageSize: 0)
        #expect(unpaged.count == 23)
        try await c.delete(ou, controls: [.treeDelete])
    }

    /// searchBatch sends every search before reading any answer: each answer comes back in its
    /// place, a server's refusal of one search is that search's result only, and a paged search
    /// goes on page by page as `search` does.
    @Test func batchedSearchesAnswerEachInItsPlace() async throws {
        let dc = try await Fixture.shared.dc("fabrikam")
        let c = try await dc.adminConnection()
        let ou = try await dc.scratchOU(c)
        for i in 0..<7 {
            try await c.add("CN=b\(i),\(ou)", attributes: [LDAPModification(.add, "objectClass", strings: ["container"])])
        }
        let before = await c.requestCount
        let results = try await c.searchBatch([
            .read("", attributes: ["defaultNamingContext"]),
            LDAPSearchRequest(base: ou, scope: .oneLevel, filter: .equal("objectClass", "container"), attributes: ["cn"], pageSize: 3),
            .read("CN=missing,\(ou)", attributes: ["cn"]),
            LDAPSearchRequest(base: ou, filter: .equal("cn", "b4"), attributes: ["cn"]),
            LDAPSearchRequest(base: ou, scope: .oneLevel, filter: .equal("objectClass", "container"), attributes: ["cn"],
                              pageSize: 0, sizeLimit: 2),
            // paged by the limit: the first page is the last one asked for
            LDAPSearchRequest(base: ou, scope: .oneLevel, filter: .equal("objectClass", "container"), attributes: ["cn"],
                              pageSize: 3, sizeLimit: 3),
            LDAPSearchRequest(base: ou, scope: .oneLevel, filter: .equal("objectClass", "container"), attributes: ["cn"],
                              pageSize: 3, sizeLimit: 7),
        ])
        // seven searches, two more pages of the second (3 + 3 + 1) and of the last
        #expect(await c.requestCount - before == 11)
        #expect(results.count == 7)
        #expect(try results[0].get().first?.string("defaultNamingContext") == dc.baseDN)
        let paged = try results[1].get()
        #expect(Set(paged.compactMap { $0.string("cn") }) == Set((0..<7).map { "b\($0)" }))
        #expect(paged.count == 7)
        switch results[2] {
        case .success(let entries): Issue.record("a search of a missing object answered \(entries)")
        case .failure(let error): #expect(error.code == .noSuchObject)
        }
        #expect(try results[3].get().map { $0.string("cn") } == ["b4"])
        switch results[4] {  // more entries than the size limit: an error, not a cut list
        case .success(let entries): Issue.record("a search over its size limit answered \(entries.count) entries")
        case .failure(let error): #expect(error.code == .sizeLimitExceeded)
        }
        switch results[5] {
        case .success(let entries): Issue.record("a paged search over its size limit answered \(entries.count) entries")
        case .failure(let error): #expect(error.code == .sizeLimitExceeded)
        }
        #expect(try results[6].get().count == 7)  // exactly at the limit: all of it
        // the refused search left the connection as it was
        #expect(try await c.read("CN=b0,\(ou)", attributes: ["cn"])?.string("cn") == "b0")
        #expect(try await c.searchBatch([]).isEmpty)
        try await c.delete(ou, controls: [.treeDelete])
    }

    @Test func escapedValuesMatchLiterallyOnTheServer() async throws {
        let dc = try await Fixture.shared.dc("fabrikam")
        let c = try await dc.adminConnection()
        let ou = try await dc.scratchOU(c)
        let odd = "we*ird)(name"
        try await c.add(DistinguishedName(parsing: ou).child("CN", odd).description,
                        attributes: [LDAPModification(.add, "objectClass", strings: ["container"])])
        try await c.add("CN=plain,\(ou)", attributes: [LDAPModification(.add, "objectClass", strings: ["container"])])
        let literal = try await c.search(base: ou, filter: .equal("cn", odd), attributes: ["cn"])
        #expect(literal.map { $0.string("cn") } == [odd])
        let star = try await c.search(base: ou, filter: .equal("cn", "*"), attributes: ["cn"])
        #expect(star.isEmpty, "an escaped * must not act as a wildcard")
        try await c.delete(ou, controls: [.treeDelete])
    }

    @Test func manyConnectionsRunConcurrently() async throws {
        let dc = try await Fixture.shared.dc("fabrikam")
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    let c = try await dc.adminConnection()
                    var n = 0
                    for _ in 0..<10 {
                        n += try await c.search(base: "CN=Users,\(dc.baseDN)", scope: .oneLevel, attributes: ["cn"]).count
                    }
                    return n
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(counts.count == 8)
        #expect(Set(counts).count == 1 && counts[0] > 0)
    }

    /// One TLS context per CA file for the whole process (TLSContextCache): the CA file is loaded
    /// once however many connections use it. A CA file of this test's own, so that no other test's
    /// connections count.
    @Test func connectionsTrustingOneCAFileShareOneTLSContext() async throws {
        let dc = try await Fixture.shared.dc("contoso")
        let ca = try copyOfFile(dc.caFile)
        defer { try? FileManager.default.removeItem(atPath: ca) }
        let config = LDAPConfiguration(uri: dc.uri, caFile: ca)
        #expect(TLSContextCache.shared.buildCount(caFile: ca) == 0)
        let first = try await LDAPConnection.open(config)
        try await first.bind(.simple(bindName: dc.adminUPN, password: try dc.password))
        #expect(TLSContextCache.shared.buildCount(caFile: ca) == 1)
        let names = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    let c = try await LDAPConnection.open(config)
                    try await c.bind(.simple(bindName: dc.adminUPN, password: try dc.password))
                    return try await c.rootDSE(attributes: ["defaultNamingContext"]).string("defaultNamingContext")
                }
            }
            return try await group.reduce(into: [String?]()) { $0.append($1) }
        }
        #expect(names == Array(repeating: dc.baseDN, count: 6))
        #expect(TLSContextCache.shared.buildCount(caFile: ca) == 1, "each connection loaded the CA file again")
    }

    /// A shared context never carries one CA file's trust to a connection that names another: a
    /// server whose CA is not in the named file is refused, before and after a connection that
    /// trusted it, and so is a connection that trusts only the system's CAs.
    @Test func aTLSContextIsNeverSharedAcrossCAFiles() async throws {
        let contoso = try await Fixture.shared.dc("contoso")
        let fabrikam = try await Fixture.shared.dc("fabrikam")
        let contosoCA = try copyOfFile(contoso.caFile), fabrikamCA = try copyOfFile(fabrikam.caFile)
        defer { [contosoCA, fabrikamCA].forEach { try? FileManager.default.removeItem(atPath: $0) } }
        func open(_ dc: DomainController, _ ca: String?) async throws -> LDAPConnection {
            try await LDAPConnection.open(LDAPConfiguration(uri: dc.uri, caFile: ca))
        }
        _ = try await open(contoso, contosoCA)
        for (dc, ca) in [(contoso, fabrikamCA), (fabrikam, contosoCA), (contoso, nil as String?)] {
            let error = await #expect(throws: LDAPError.self, "\(dc.name) with \(ca ?? "the system's CAs")") {
                _ = try await open(dc, ca)
            }
            #expect(error?.kind == .tls, "\(String(describing: error))")
        }
        _ = try await open(fabrikam, fabrikamCA)
        _ = try await open(contoso, contosoCA)
        #expect(TLSContextCache.shared.buildCount(caFile: contosoCA) == 1)
        #expect(TLSContextCache.shared.buildCount(caFile: fabrikamCA) == 1)
    }

    /// The host name check is the handle's own, not the shared context's: after a connection
    /// built the context for the DC's CA, the same DC reached under a name its certificate does
    /// not hold (its address as one 32-bit number, which the resolver takes and the certificate
    /// check compares as a DNS name) is refused, on the shared context, and the right name still
    /// connects.
    @Test func aSharedTLSContextStillChecksEachConnectionsHostName() async throws {
        let dc = try await Fixture.shared.dc("contoso")
        let ca = try copyOfFile(dc.caFile)
        defer { try? FileManager.default.removeItem(atPath: ca) }
        _ = try await LDAPConnection.open(LDAPConfiguration(uri: dc.uri, caFile: ca))
        let octets = dc.ip.split(separator: ".").compactMap { UInt32($0) }
        try #require(octets.count == 4)
        let number = octets.reduce(0) { $0 << 8 | $1 }
        let error = await #expect(throws: LDAPError.self) {
            _ = try await LDAPConnection.open(LDAPConfiguration(uri: "ldaps://\(number)", caFile: ca))
        }
        #expect(error?.kind == .tls, "\(String(describing: error))")
        _ = try await LDAPConnection.open(LDAPConfiguration(uri: dc.uri, caFile: ca))
        #expect(TLSContextCache.shared.buildCount(caFile: ca) == 1, "the refused connection must have used the shared context")
    }

    private func copyOfFile(_ path: String) throws -> String {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("aadkerb-ca-\(UUID().uuidString).pem").path
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        return copy
    }

    @Test func anEmptyPasswordIsNeverSentAsAnAnonymousBind() async throws {
        let dc = try await Fixture.shared.dc("fabrikam")
        let c = try await LDAPConnection.open(LDAPConfiguration(uri: dc.uri, caFile: dc.caFile))
        let error = await #expect(throws: LDAPError.self) {
            try await c.bind(.simple(bindName: dc.adminUPN, password: Secret("")))
        }
        #expect(error?.kind == .authentication)
        #expect(await c.requestCount == 2)  // the connect and the refused bind attempt, nothing sent for it
    }

    @Test func aURIWithoutAnLDAPSchemeIsRefused() async throws {
        let error = await #expect(throws: LDAPError.self) {
            _ = try await LDAPConnection.open(LDAPConfiguration(uri: "http://127.0.0.22"))
        }
        #expect(error?.code == .paramError)
    }
}
