import Foundation
import Basics
import TestSupport
import Testing
@testable import Tickets

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

enum Support {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let oracle = testsDirectory.appendingPathComponent("oracle/ticket-oracle.py").path

    /// A private (0700) temporary directory, removed by the caller.
    static func privateDirectory(_ prefix: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return dir
    }

    /// The Python that has impacket: AADKERB_PYTHON, else `python3` on PATH.
    static var python: String {
        if let p = ProcessInfo.processInfo.environment["AADKERB_PYTHON"], !p.isEmpty { return p }
        return "/usr/bin/env"
    }
    static var pythonArguments: [String] { python == "/usr/bin/env" ? ["python3"] : [] }

    /// Runs the impacket oracle (mode "ticket" with the krbtgt key, or "asrep" with the session
    /// key) on `der`; fails the test loudly when impacket is missing.
    static func oracle<Report: Decodable>(_ mode: String, der: [UInt8], key: Secret, as: Report.Type) async throws -> Report {
        let dir = try privateDirectory("tickets-oracle")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("message.der")
        try Data(der).write(to: file)
        let hex = key.withUnsafeBytes { Hex.string($0) }
        // the key (hex) goes through stdin, a pipe, never a file (TestSupport's ChildProcess)
        let r = try await ChildProcess.run(python, pythonArguments + [oracle, mode, file.path], stdin: hex)
        if r.status == 3 {
            throw TestFailure("the impacket oracle cannot run: \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines)). "
                              + "Install impacket (pip install impacket) for the python3 on PATH, or set AADKERB_PYTHON.")
        }
        guard r.status == 0 else { throw TestFailure("ticket-oracle.py \(mode) exited \(r.status): \(r.stderr)") }
        do {
            return try JSONDecoder().decode(Report.self, from: Data(r.stdout.utf8))
        } catch {
            throw TestFailure("ticket-oracle.py printed no \(Report.self): \(error)\n\(r.stdout)")
        }
    }

    /// What ticket-oracle.py prints for mode "ticket": the ticket as impacket decrypts and parses it.
    struct TicketReport: Decodable {
        let realm: String, sname: String, etype: Int, kvno: Int
        let crealm: String, cname: String
        let session_key_type: Int, session_key_length: Int
        let pac_count: Int
        let pac: PAC?

        struct PAC: Decodable {
            let buffers: [Buffer]
            let offsets_aligned: Bool
            let logon_info_size: Int?
            let logon: LogonInfo?
            let client_info_name: String?
            let requestor_sid: String?
            let server_signature: Signature?
            let kdc_signature: Signature?
            let server_signature_valid: Bool?
            let kdc_signature_valid: Bool?
        }
        struct Buffer: Decodable { let type: Int, size: Int, offset: Int }
        struct LogonInfo: Decodable {
            let effective_name: String, user_id: Int, primary_group_id: Int, group_count: Int, groups: [Int]
            let logon_domain_name: String, logon_domain_id: String, user_sid: String, sid_count: Int
        }
        struct Signature: Decodable { let type: Int, length: Int, buffer_size: Int }
    }

    /// What ticket-oracle.py prints for mode "asrep": the AS-REP opened with the session key.
    struct ASRepReport: Decodable {
        let crealm: String, cname: String, ticket_sname: String, ticket_kvno: Int
        let srealm: String, sname: String, key_type: Int, key_matches: Bool
    }

    /// A fixed test key (not a real one): 32 bytes.
    static let testKey = Secret(bytes: (0..<32).map { UInt8($0 &* 7 &+ 3) })
}

/// Every suite of this target, one after another: their exchanges, fake KDCs and impacket oracle
/// runs block a thread each, and on 2 cores several at once starve the cooperative pool that
/// other targets' deadline tests (DRSClient's TransportTests) resume on.
@Suite(.serialized) struct TicketsSuites {}
