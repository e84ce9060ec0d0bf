import Basics
import Foundation

/// Reads a file that holds a secret (password, client secret, client key, access token) the way
/// ssh reads a private key: through one descriptor opened with O_NOFOLLOW (a symbolic link is
/// refused, so it cannot be swapped between a check and the read), checked with fstat on that
/// descriptor (a regular file; readable by its owner only), then read. A file that group or
/// others can read is refused (exit 66) unless AADKERB_ALLOW_READABLE_SECRET_FILES=1.
enum SecretFile {
    static let allowReadable = "AADKERB_ALLOW_READABLE_SECRET_FILES"

    static func read(_ path: String, what: String, environment: [String: String] = ProcessHardening.environment) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else {
            let reason = errno == ELOOP ? "it is a symbolic link (give the file itself)" : String(cString: strerror(errno))
            throw CLIError.unreadable("cannot read the \(what) file \(path): \(reason)")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw CLIError.unreadable("cannot read the \(what) file \(path): \(String(cString: strerror(errno)))") }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw CLIError.unreadable("the \(what) file \(path) is not a regular file\(info.st_mode & S_IFMT == S_IFDIR ? " (a directory)" : "")")
        }
        let mode = Int(info.st_mode & 0o777)
        if mode & 0o077 != 0 && environment[allowReadable] != "1" {
            throw CLIError.unreadable(String(format: "the %@ file %@ is readable by other users (mode %03o): chmod 600 it (or set %@=1)",
                                             what, path, mode, allowReadable))
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        defer { wipe(&buffer) }
        while true {
            let n = Glibc.read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw CLIError.unreadable("cannot read the \(what) file \(path): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            bytes += buffer[0..<n]
            guard bytes.count <= 1 << 20 else { throw CLIError.unreadable("the \(what) file \(path) is larger than 1 MiB") }
        }
        return bytes
    }
}
