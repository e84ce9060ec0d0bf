import Basics
import Foundation
import LDAPClient

/// Where a password comes from, in this order: --password-stdin, --password-file,
/// AADKERB_DOMAIN_PASSWORD, then a prompt on the terminal with echo off. Never argv.
enum PasswordSource {
    static let environmentVariable = "AADKERB_DOMAIN_PASSWORD"

    static func read(file: String?, stdin: Bool, environment: [String: String], prompt: String) throws -> Secret {
        if stdin {
            guard let line = readFirstLine(FileHandle.standardInput.readDataToEndOfFile()) else {
                throw CLIError.unreadable("--password-stdin: standard input is empty")
            }
            return line
        }
        if let file {
            var bytes = try SecretFile.read(file, what: "password", environment: environment)
            defer { wipe(&bytes) }
            guard let line = readFirstLine(bytes) else { throw CLIError.unreadable("the password file \(file) is empty") }
            return line
        }
        if let value = environment[environmentVariable], !value.isEmpty {
            return Secret(value)
        }
        return try promptWithoutEcho(prompt)
    }

    /// The first line, without its line ending; nil if there is none or it is empty.
    static func readFirstLine(_ data: Data) -> Secret? { readFirstLine([UInt8](data)) }

    static func readFirstLine(_ data: [UInt8]) -> Secret? {
        var bytes = data
        defer { wipe(&bytes) }
        if let newline = bytes.firstIndex(of: 0x0a) { bytes.removeSubrange(newline...) }
        if bytes.last == 0x0d { bytes.removeLast() }
        return bytes.isEmpty ? nil : Secret(bytes: bytes)
    }

    static func promptWithoutEcho(_ prompt: String) throws -> Secret {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY)
        guard fd >= 0 else {
            throw CLIError.usage("no password given and no terminal to ask on: use --password-file, --password-stdin or \(environmentVariable)")
        }
        defer { close(fd) }
        var saved = termios()
        guard tcgetattr(fd, &saved) == 0 else {
            throw CLIError.usage("cannot turn off echo on the terminal: use --password-file, --password-stdin or \(environmentVariable)")
        }
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        silent.c_lflag |= tcflag_t(ECHONL)
        _ = prompt.withCString { write(fd, $0, strlen($0)) }
        guard tcsetattr(fd, TCSAFLUSH, &silent) == 0 else {
            throw CLIError.usage("cannot turn off echo on the terminal")
        }
        defer { _ = tcsetattr(fd, TCSAFLUSH, &saved) }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while Glibc.read(fd, &byte, 1) == 1, byte != 0x0a { bytes.append(byte) }
        defer { wipe(&bytes) }
        if bytes.last == 0x0d { bytes.removeLast() }
        guard !bytes.isEmpty else { throw CLIError.usage("empty password") }
        return Secret(bytes: bytes)
    }
}
