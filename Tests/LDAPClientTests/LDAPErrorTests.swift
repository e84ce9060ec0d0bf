import Testing
@testable import LDAPClient
import Basics

@Suite struct LDAPErrorTests {
    @Test func keepsCodeNameAndServerDiagnostic() {
        let e = LDAPError(code: .constraintViolation,
                          diagnosticMessage: "0000202F: objectclass_attrs: can only be modified as system\n",
                          operation: "modify", target: "CN=krbtgt_AzureAD,CN=Users,DC=x")
        #expect(e.code.rawValue == 19)
        #expect(e.code.name == "Constraint violation")
        #expect(e.diagnosticMessage == "0000202F: objectclass_attrs: can only be modified as system")
        #expect(e.description == "LDAP modify on CN=krbtgt_AzureAD,CN=Users,DC=x failed: Constraint violation (19): 0000202F: objectclass_attrs: can only be modified as system")
    }

    @Test(arguments: [
        (LDAPResultCode.invalidCredentials, LDAPFailureKind.authentication),
        (.insufficientAccessRights, .accessDenied),
        (.strongerAuthRequired, .strongerAuthRequired),
        (.serverDown, .unreachable),
        (.timeout, .timeout),
        (.connectError, .tls),
        (.noSuchObject, .noSuchObject),
        (.unwillingToPerform, .other),
    ])
    func classifiesCodes(_ code: LDAPResultCode, _ kind: LDAPFailureKind) {
        #expect(LDAPError(code: code, operation: "x").kind == kind)
    }

    @Test func aKnownKindOverridesTheCode() {
        #expect(LDAPError(code: .serverDown, operation: "connect", kind: .tls).kind == .tls)
    }

    @Test func emptyDiagnosticsAreDropped() {
        #expect(LDAPError(code: .busy, diagnosticMessage: " \0", operation: "x").diagnosticMessage == nil)
        #expect(LDAPError(code: .busy, matchedDN: "", operation: "x").matchedDN == nil)
    }

    @Test func secretsNeverPrint() {
        let s = Secret("hunter2")
        #expect("\(s)" == "<redacted>")
        #expect(String(reflecting: s) == "Secret(<redacted>)")
        #expect(!"\(LDAPCredentials.simple(bindName: "a@b", password: s))".contains("hunter2"))
    }

    /// The codes are ldap.h's constants: their values are RFC 4511's and libldap names them.
    @Test func resultCodesAreLibldapsConstants() {
        #expect(LDAPResultCode.success.rawValue == 0)
        #expect(LDAPResultCode.invalidCredentials.rawValue == 49)
        #expect(LDAPResultCode.insufficientAccessRights.rawValue == 50)
        #expect(LDAPResultCode.entryAlreadyExists.rawValue == 68)
        #expect(LDAPResultCode.serverDown.rawValue == -1)
        #expect(LDAPResultCode.connectError.rawValue == -11)
        #expect(LDAPResultCode.invalidCredentials.name == "Invalid credentials")
        #expect(LDAPResultCode.noSuchObject.name == "No such object")
        #expect(LDAPResultCode.serverDown.name == "Can't contact LDAP server")
    }
}
