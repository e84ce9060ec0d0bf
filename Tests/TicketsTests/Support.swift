import Foundation
import Basics
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

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `program` with `arguments`; `input` (e.g. a key, hex) goes through a pipe, never a
    /// file; stdout and stderr go to files in a private directory, so no pipe can fill up.
    static func run(_ program: String, _ arguments: [String], input: String? = nil, environment: [String: String] = [:]) throws -> Run {
        let dir = try privateDirectory("tickets-run")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out"), err = dir.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = arguments
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        p.standardInput = input == nil ? FileHandle.nullDevice : pipe
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = try FileHandle(forWritingTo: err)
        try p.run()
        if let input {
            pipe.fileHandleForWriting.write(Data(input.utf8))
            try pipe.fileHandleForWriting.close()
        }
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stdout: try String(contentsOf: out, encoding: .utf8),
                   stderr: try String(contentsOf: err, encoding: .utf8))
    }

    /// The Python that has impacket: AADKERB_PYTHON, else `python3` on PATH.
    static var python: String {
        if let p = ProcessInfo.processInfo.environment["AADKERB_PYTHON"], !p.isEmpty { return p }
        return "/usr/bin/env"
    }
    static var pythonArguments: [String] { python == "/usr/bin/env" ? ["python3"] : [] }

    /// Runs the impacket oracle (mode "ticket" with the krbtgt key, or "asrep" with the session
    /// key) on `der`; fails the test loudly when impacket is missing.
    static func oracle(_ mode: String, der: [UInt8], key: Secret) throws -> [String: Any] {
        let dir = try privateDirectory("tickets-oracle")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("message.der")
        try Data(der).write(to: file)
        let hex = key.withUnsafeBytes { Hex.string($0) }
        let r = try run(python, pythonArguments + [oracle, mode, file.path], input: hex)
        if r.status == 3 {
            throw TestFailure("the impacket oracle cannot run: \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines)). "
                              + "Install impacket (pip install impacket) for the python3 on PATH, or set AADKERB_PYTHON.")
        }
        guard r.status == 0 else { throw TestFailure("ticket-oracle.py \(mode) exited \(r.status): \(r.stderr)") }
        guard let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] else {
            throw TestFailure("ticket-oracle.py printed no JSON object: \(r.stdout)")
        }
        return json
    }

    /// A fixed test key (not a real one): 32 bytes.
    static let testKey = Secret(bytes: (0..<32).map { UInt8($0 &* 7 &+ 3) })
}

/// Every suite of this target, one after another: their exchanges, fake KDCs and impacket oracle
/// runs block a thread each, and on 2 cores several at once starve the cooperative pool that
/// other targets' deadline tests (DRSClient's TransportTests) resume on.
@Suite(.serialized) struct TicketsSuites {}
