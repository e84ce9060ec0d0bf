import Foundation

/// Why a TCP exchange failed; the caller names the step it was in.
enum TransportError: Error, CustomStringConvertible {
    case resolve(String)
    case connect(String)
    case timedOut(String)
    case closed
    case io(String)
    case cancelled

    var description: String {
        switch self {
        case let .resolve(m): return "cannot resolve \(m)"
        case let .connect(m): return m
        case let .timedOut(m): return "timed out \(m)"
        case .closed: return "the server closed the connection"
        case let .io(m): return m
        case .cancelled: return "cancelled"
        }
    }
}

/// Lets a task cancel blocking I/O on another thread: shutting the socket down wakes its poll.
final class CancellationSwitch: @unchecked Sendable {
    private let lock = NSLock()
    private var fd: Int32 = -1
    private var cancelled = false

    var isCancelled: Bool { lock.withLock { cancelled } }

    func cancel() {
        lock.withLock {
            cancelled = true
            if fd >= 0 { _ = shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    /// Registers the socket in use; false if already cancelled.
    func attach(_ fd: Int32) -> Bool {
        lock.withLock {
            if cancelled { return false }
            self.fd = fd
            return true
        }
    }

    func detach() { lock.withLock { fd = -1 } }
}

/// A blocking TCP connection for use on a dedicated thread, never on Swift's cooperative pool.
/// The socket is non-blocking underneath: every connect, send and receive waits in poll(2) for at
/// most the time left before `deadline`.
final class TCPConnection {
    private var fd: Int32 = -1
    private var deadline: ContinuousClock.Instant
    private var cancellation: CancellationSwitch
    let peer: String

    init(host: String, port: UInt16, deadline: ContinuousClock.Instant, cancellation: CancellationSwitch) throws {
        self.deadline = deadline
        self.cancellation = cancellation
        peer = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"

        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_TCP)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else { throw TransportError.resolve("\(host): \(String(cString: gai_strerror(rc)))") }
        defer { freeaddrinfo(first) }

        var lastError = "no address for \(host)"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let ai = entry {
            entry = ai.pointee.ai_next
            let s = socket(ai.pointee.ai_family, ai.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), ai.pointee.ai_protocol)
            if s < 0 { lastError = "socket: \(String(cString: strerror(errno)))"; continue }
            _ = fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK)
            var one: Int32 = 1
            _ = setsockopt(s, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            guard cancellation.attach(s) else { Glibc.close(s); throw TransportError.cancelled }
            if connect(s, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 { fd = s; return }
            if errno == EINPROGRESS {
                do {
                    try wait(s, for: Int16(POLLOUT), "connecting to \(peer)")
                    var err: Int32 = 0
                    var len = socklen_t(MemoryLayout<Int32>.size)
                    _ = getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len)
                    if err == 0 { fd = s; return }
                    lastError = "connect to \(peer): \(String(cString: strerror(err)))"
                } catch {
                    cancellation.detach()
                    Glibc.close(s)
                    throw error
                }
            } else {
                lastError = "connect to \(peer): \(String(cString: strerror(errno)))"
            }
            cancellation.detach()
            Glibc.close(s)
        }
        throw TransportError.connect(lastError)
    }

    deinit { close() }

    /// Both directions shut down, the descriptor kept: the next send or receive fails as on a
    /// connection the peer dropped (for tests).
    func shutDown() {
        if fd >= 0 { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
    }

    /// For a connection kept for another exchange: from now on bounded by `deadline` and shut down
    /// by `cancellation` (the previous switch lets go of the socket).
    func rearm(deadline: ContinuousClock.Instant, cancellation: CancellationSwitch) throws {
        guard fd >= 0 else { throw TransportError.closed }
        self.cancellation.detach()
        self.deadline = deadline
        self.cancellation = cancellation
        guard cancellation.attach(fd) else { throw TransportError.cancelled }
    }

    func close() {
        if fd >= 0 {
            cancellation.detach()
            Glibc.close(fd)
            fd = -1
        }
    }

    private func wait(_ s: Int32, for events: Int16, _ what: @autoclosure () -> String) throws {
        while true {
            if cancellation.isCancelled { throw TransportError.cancelled }
            let left = deadline - .now
            guard left > .zero else { throw TransportError.timedOut(what()) }
            let ms = Int32(clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)
            var p = pollfd(fd: s, events: events, revents: 0)
            let n = poll(&p, 1, ms)
            if n < 0 {
                if errno == EINTR { continue }
                throw TransportError.io("poll: \(String(cString: strerror(errno)))")
            }
            if cancellation.isCancelled { throw TransportError.cancelled }
            if n > 0 { return }
        }
    }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            try wait(fd, for: Int16(POLLOUT), "sending to \(peer)")
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                if errno == EPIPE || errno == ECONNRESET { throw TransportError.closed }
                throw TransportError.io("send to \(peer): \(String(cString: strerror(errno)))")
            }
            sent += n
        }
    }

    func receive(exactly count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            try wait(fd, for: Int16(POLLIN), "waiting for \(peer)")
            let n = out.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, count - got, 0) }
            if n == 0 { throw TransportError.closed }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                if errno == ECONNRESET { throw TransportError.closed }
                throw TransportError.io("receive from \(peer): \(String(cString: strerror(errno)))")
            }
            got += n
        }
        return out
    }
}
