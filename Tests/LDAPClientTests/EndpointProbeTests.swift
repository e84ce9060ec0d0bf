import Foundation
import Testing
@testable import EndpointProbe

/// The probe's pieces without a server: name resolution, a refused port, the LDAPResult reader
/// under hostile bytes, and the CA file check.
@Suite struct EndpointProbeTests {
    @Test func aRefusedPortAndAnUnresolvableName() {
        #expect(EndpointProbe.diagnose(host: "127.0.0.97", port: 1, security: .direct, caFile: nil, timeout: 2)
                == .refused(Endpoint(host: "127.0.0.97", port: 1)))
        guard case let .nameNotResolved(host, detail, _) = EndpointProbe.diagnose(host: "no-such-dc.invalid", port: 636, security: .direct,
                                                                                  caFile: nil, timeout: 2) else {
            Issue.record("an unresolvable name was not reported as such")
            return
        }
        #expect(host == "no-such-dc.invalid" && !detail.isEmpty)
    }

    @Test func theLDAPResultReaderTakesAnswersAndRefusesJunk() {
        // ExtendedResponse, message id 1, success, no matched DN, no diagnostic
        let success: [UInt8] = [0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00]
        #expect(LDAPResult.parse(success)! == (0, ""))
        // protocolError (2) with a diagnostic
        let refused: [UInt8] = [0x30, 0x0f, 0x02, 0x01, 0x01, 0x78, 0x0a, 0x0a, 0x01, 0x02, 0x04, 0x00, 0x04, 0x03] + Array("no!".utf8)
        #expect(LDAPResult.parse(refused)! == (2, "no!"))
        for junk: [UInt8] in [[], [0x30], [0x30, 0x84, 0xff, 0xff, 0xff, 0xff], Array(success.dropLast(3)), [0x16, 0x03, 0x03, 0x00, 0x02],
                              [0x30, 0x03, 0x02, 0x01, 0x01]] {
            #expect(LDAPResult.parse(junk) == nil, "\(junk)")
        }
    }

    @Test func aCAFileMustHoldACertificate() throws {
        #expect(throws: CAFile.Problem.directory(path: "/etc")) { try CAFile.check("/etc") }
        let junk = FileManager.default.temporaryDirectory.appendingPathComponent("aadkerb-junk-\(UUID().uuidString)")
        try Data("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n".utf8).write(to: junk)
        defer { try? FileManager.default.removeItem(at: junk) }
        #expect(throws: CAFile.Problem.noCertificate(path: junk.path)) { try CAFile.check(junk.path) }
        #expect(throws: CAFile.Problem.self) { try CAFile.check("/nonexistent/ca.pem") }
    }
}
