import Foundation
import Testing
import TestSupport
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
        // well-formed base64 of something that is not a certificate: a SEQUENCE holding one INTEGER
        let notACertificate = Data([0x30, 0x03, 0x02, 0x01, 0x05]).base64EncodedString()
        try Data("-----BEGIN CERTIFICATE-----\n\(notACertificate)\n-----END CERTIFICATE-----\n".utf8).write(to: junk)
        #expect(throws: CAFile.Problem.noCertificate(path: junk.path)) { try CAFile.check(junk.path) }
    }

    /// Real certificates, made by openssl, in the shapes CA bundles come in: text between blocks,
    /// 76-character lines, a key block before the certificate, several certificates.
    @Test func aCAFileCountsTheCertificatesTheTLSLibrariesWouldLoad() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("aadkerb-ca-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var certificates: [String] = []
        for name in ["one", "two"] {
            let made = try await ChildProcess.run("/usr/bin/openssl", [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                "-subj", "/CN=aadkerb test CA \(name)", "-keyout", dir.appendingPathComponent("\(name).key").path,
                "-out", dir.appendingPathComponent("\(name).pem").path])
            #expect(made.status == 0, "\(made.stderr)")
            certificates.append(try String(contentsOf: dir.appendingPathComponent("\(name).pem"), encoding: .utf8))
        }
        func write(_ text: String) throws -> String {
            let file = dir.appendingPathComponent("bundle-\(UUID().uuidString).pem")
            try Data(text.utf8).write(to: file)
            return file.path
        }
        #expect(try CAFile.check(try write(certificates[0])) == 1)
        #expect(try CAFile.check(try write("Bag Attributes\n    friendlyName: one\n" + certificates.joined(separator: "# comment\n"))) == 2)
        // the same certificate with 76-character lines, as some tools write them
        let body = certificates[0].split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        let wrapped = stride(from: 0, to: body.count, by: 76).map { start in
            String(body.dropFirst(start).prefix(76))
        }.joined(separator: "\n")
        #expect(try CAFile.check(try write("-----BEGIN CERTIFICATE-----\n\(wrapped)\n-----END CERTIFICATE-----\n")) == 1)
        // a key block is not a certificate, and does not hide the one after it
        let key = try String(contentsOf: dir.appendingPathComponent("one.key"), encoding: .utf8)
        #expect(try CAFile.check(try write(key + certificates[1])) == 1)
        let keyOnly = try write(key)
        #expect(throws: CAFile.Problem.noCertificate(path: keyOnly)) { try CAFile.check(keyOnly) }
    }
}
