import Foundation
import HTTPTypes
import TenantAPI
import Testing
@testable import aadkerb_tenant_server

/// The rules docs/openapi.yaml states and the server enforces (issue 14, item 4), one by one.
/// Tests/IntegrationTests/ContractTests checks them over HTTPS, and schemathesis the whole contract.
@Suite struct ContractRulesTests {
    @Test func ifMatchIsStarOrOneStrongETag() throws {
        #expect(try TenantAPIServer.precondition(ifMatch: nil) == .none)
        #expect(try TenantAPIServer.precondition(ifMatch: "*") == .exists)
        #expect(try TenantAPIServer.precondition(ifMatch: "\"3\"") == .version(3))
        #expect(try TenantAPIServer.precondition(ifMatch: " \"3\" ") == .version(3))
        #expect(try TenantAPIServer.precondition(ifMatch: "\"999999999999999999\"") == .version(999_999_999_999_999_999))
        for bad in ["", " ", "W/\"3\"", "\"3\", \"4\"", "3", "\"\"", "\"-3\"", "\"+3\"", "\"3", "\"9999999999999999999\"", "\"٣\""] {
            #expect(throws: Problem.self, "'\(bad)'") { try TenantAPIServer.precondition(ifMatch: bad) }
        }
    }

    @Test func ifNoneMatchTakesOnlyStar() throws {
        #expect(try TenantAPIServer.createOnly(ifNoneMatch: nil) == false)
        #expect(try TenantAPIServer.createOnly(ifNoneMatch: "*") == true)
        for bad in ["", "\"1\"", "**"] {
            #expect(throws: Problem.self, "'\(bad)'") { try TenantAPIServer.createOnly(ifNoneMatch: bad) }
        }
    }

    @Test func theRouteTableKnowsEachPathsMethods() {
        var table = RouteTable()
        table.add("/v1/tenants/:tenant/kerberosDomains/:domain", [.get, .put, .delete])
        table.add("/v1/tenants/:tenant/kerberosDomains/:domain/partialTickets", [.post])
        #expect(table.methods(for: "/v1/tenants/contoso/kerberosDomains/a.test") == [.get, .put, .delete])
        #expect(table.methods(for: "/v1/tenants/contoso/kerberosDomains/a.test/partialTickets") == [.post])
        #expect(table.methods(for: "/v1/tenants/contoso/kerberosDomains") == nil)
        #expect(table.methods(for: "/v1/tenants/contoso/other/a.test") == nil)
        // in RFC 9110's order whatever the order of registration (Router.routes sorts by name)
        var registered = RouteTable()
        registered.add("/v1/tenants/{tenant}/kerberosDomains/{domain}", [.delete, .put, .get])
        #expect(registered.methods(for: "/v1/tenants/contoso/kerberosDomains/a.test") == [.get, .put, .delete])
    }

    @Test func sidsFollowThePatternOfTheContract() throws {
        for good in ["S-1-5-21-3623811015-3361044348-30300820-1013", "S-1-5-4294967295-0", "S-1-0-0-0",
                     "S-1-99999999999999-1-2", "S-1-5" + String(repeating: "-1", count: 15)] {
            #expect(TenantAPIServer.isSID(good), "\(good)")
        }
        for bad in ["S-1-5-21", "S-1-5-4294967296-0", "S-1-5-021-1", "S-1-+5-21-1", "s-1-5-21-1", "S-2-5-21-1",
                    "S-1-100000000000000-1-2", "S-1-5" + String(repeating: "-1", count: 16), "S-1-5-21-1\n", ""] {
            #expect(!TenantAPIServer.isSID(bad), "\(bad)")
        }
        // the same pattern as docs/openapi.yaml
        let spec = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        #expect(spec.contains("pattern: '\(TenantAPIServer.sidPattern)'"))
    }

    @Test func aPutBodyMayLeaveTheDomainOut() throws {
        let body = Data(#"{"id": 7080, "displayName": "krbtgt_7080", "keyVersion": 4080}"#.utf8)
        #expect(try TenantAPIServer.decodeDomain(body, domain: "a.test").domainDnsName == "a.test")
        let named = Data(#"{"domainDnsName": "B.test", "id": 7080, "displayName": "krbtgt_7080", "keyVersion": 4080}"#.utf8)
        #expect(try TenantAPIServer.decodeDomain(named, domain: "a.test").domainDnsName == "B.test")
        for bad in ["[]", "7", "not json", #"{"id": "7080", "displayName": "x", "keyVersion": 1}"#, #"{"domainDnsName": 7, "id": 1, "displayName": "x", "keyVersion": 1}"#] {
            #expect(throws: Problem.self, "\(bad)") { try TenantAPIServer.decodeDomain(Data(bad.utf8), domain: "a.test") }
        }
    }
}
