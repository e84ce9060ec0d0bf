/// A secret (password, key) held as bytes that are zeroed when the last copy goes away.
/// It never prints itself: `description` and `debugDescription` are "<redacted>".
public struct Secret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    private final class Storage: @unchecked Sendable {
        var bytes: [UInt8]
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        deinit {
            bytes.withUnsafeMutableBufferPointer { buffer in
                for i in buffer.indices { buffer[i] = 0 }
            }
        }
    }

    private let storage: Storage

    public init(bytes: [UInt8]) { storage = Storage(bytes) }
    public init(_ string: String) { storage = Storage(Array(string.utf8)) }

    public var isEmpty: Bool { storage.bytes.isEmpty }
    public var count: Int { storage.bytes.count }

    /// Calls `body` with the secret's bytes; do not let them escape.
    public func withUnsafeBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try storage.bytes.withUnsafeBytes(body)
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "Secret(<redacted>)" }
}
