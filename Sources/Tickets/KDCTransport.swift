#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// One request and one reply over TCP to a KDC (RFC 4120 7.2.2): each message preceded by its
/// length, 4 bytes big-endian. Blocking sockets bounded by `poll` against one deadline for the
/// whole exchange (connect, send, receive); the socket is closed on every path.
enum KDCTransport {
    /// Replies larger than this are refused rather than buffered (a KDC reply is a few kB).
    static let maximumReply = 1 << 20

    static func exchange(host: String, port: UInt16, request: [UInt8], timeout: Duration) throws -> [UInt8] {
        let deadline = ContinuousClock.now + timeout
        let where_ = "\(host):\(port)"
        var storage = sockaddr_storage()
        let length: socklen_t
        let family: Int32
        var a = in_addr(), a6 = in6_addr()
        if inet_pton(AF_INET, host, &a) == 1 {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr = a
            withUnsafeBytes(of: sin) { src in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) } }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            family = AF_INET
        } else if inet_pton(AF_INET6, host, &a6) == 1 {
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            sin6.sin6_addr = a6
            withUnsafeBytes(of: sin6) { src in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) } }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            family = AF_INET6
        } else {
            throw TicketsError.invalidArgument("the KDC address must be a numeric IP address, not \(host)")
        }

        #if canImport(Glibc)
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(family, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw TicketsError.unreachable("socket(): \(errnoText())") }
        defer { close(fd) }
        let flags = fcntl(fd, F_GETFL, 0)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)

        // Connect, bounded.
        let rc = withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) } }
        if rc != 0 {
            guard errno == EINPROGRESS else { throw TicketsError.unreachable("connecting to \(where_): \(errnoText())") }
            try wait(fd, for: Int16(POLLOUT), until: deadline, doing: "connecting to \(where_)")
            var soError: Int32 = 0
            var soLength = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &soLength)
            guard soError == 0 else { throw TicketsError.unreachable("connecting to \(where_): \(String(cString: strerror(soError)))") }
        }

        // Send the length-prefixed request.
        let count = UInt32(request.count)
        let message = [UInt8(count >> 24), UInt8((count >> 16) & 0xff), UInt8((count >> 8) & 0xff), UInt8(count & 0xff)] + request
        var sent = 0
        while sent < message.count {
            let n = message.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n > 0 { sent += n; continue }
            if n < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                try wait(fd, for: Int16(POLLOUT), until: deadline, doing: "sending to \(where_)")
                continue
            }
            throw TicketsError.unreachable("sending to \(where_): \(errnoText())")
        }

        // Receive the length, then the reply.
        let header = try receive(fd, 4, until: deadline, from: where_, what: "the reply length")
        let replyLength = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
        guard header[0] & 0x80 == 0 else { throw TicketsError.malformedReply("\(where_) set the reserved high bit of the TCP length") }
        guard replyLength > 0, replyLength <= maximumReply else {
            throw TicketsError.malformedReply("\(where_) announced a reply of \(replyLength) bytes")
        }
        return try receive(fd, replyLength, until: deadline, from: where_, what: "a reply of \(replyLength) bytes")
    }

    private static func receive(_ fd: Int32, _ count: Int, until deadline: ContinuousClock.Instant, from where_: String, what: String) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, count - got, 0) }
            if n > 0 { got += n; continue }
            if n == 0 { throw TicketsError.malformedReply("\(where_) closed the connection after \(got) of \(what)") }
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                try wait(fd, for: Int16(POLLIN), until: deadline, doing: "waiting for \(what) from \(where_)")
                continue
            }
            if errno == ECONNRESET { throw TicketsError.malformedReply("\(where_) reset the connection after \(got) of \(what)") }
            throw TicketsError.unreachable("receiving from \(where_): \(errnoText())")
        }
        return buffer
    }

    private static func wait(_ fd: Int32, for events: Int16, until deadline: ContinuousClock.Instant, doing: String) throws {
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw TicketsError.timedOut(doing) }
            let ms = Int32(clamping: max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            var p = pollfd(fd: fd, events: events, revents: 0)
            let r = poll(&p, 1, ms)
            if r > 0 { return }
            if r < 0, errno != EINTR { throw TicketsError.unreachable("\(doing): poll: \(errnoText())") }
        }
    }

    private static func errnoText() -> String { "\(String(cString: strerror(errno))) (errno \(errno))" }
}
