#if canImport(Glibc)
import Glibc
#endif
/// A secret (password, key) held as bytes that are zeroed when the last copy goes away.
/// It never prints itself: `description` and `debugDescription` are "<redacted>".
public struct Secret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The bytes in a buffer of their own (never shared with the caller's array, so zeroing it
    /// cannot hit a copy-on-write copy instead), locked in memory where the system allows (not
    /// swapped out), zeroed with explicit_bzero (which the optimizer may not remove) when the
    /// last copy of the Secret goes away.
    private final class Storage: @unchecked Sendable {
        let buffer: UnsafeMutableRawBufferPointer
        let locked: Bool

        init<C: Collection>(_ source: C) where C.Element == UInt8 {
            buffer = .allocate(byteCount: max(1, source.count), alignment: 16)
            _ = buffer.initializeMemory(as: UInt8.self, from: source)
            locked = mlock(buffer.baseAddress!, buffer.count) == 0
            count = source.count
        }

        let count: Int

        deinit {
            explicit_bzero(buffer.baseAddress!, buffer.count)
            if locked { munlock(buffer.baseAddress!, buffer.count) }
            buffer.deallocate()
        }
    }

    private let storage: Storage

    public init(bytes: [UInt8]) { storage = Storage(bytes) }
    public init(_ string: String) { storage = Storage(string.utf8) }

    public var isEmpty: Bool { storage.count == 0 }
    public var count: Int { storage.count }

    /// Calls `body` with the secret's bytes; do not let them escape.
    public func withUnsafeBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try body(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(storage.buffer)[0..<storage.count]))
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "Secret(<redacted>)" }
}

/// Zeroes a byte array that held a secret, in place, with explicit_bzero: a plain loop or memset
/// just before the array dies may be removed by the optimizer (seen in CArena's release object code).
public func wipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { raw in
        if let base = raw.baseAddress { explicit_bzero(base, raw.count) }
    }
}
