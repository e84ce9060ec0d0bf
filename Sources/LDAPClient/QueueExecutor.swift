import Dispatch

/// A serial executor over its own `DispatchQueue`, so that an actor's blocking C calls
/// (libldap's synchronous `_s` functions) run on a thread of their own and never occupy the
/// Swift cooperative pool, which on a 2-core host has only two threads.
final class QueueExecutor: SerialExecutor, @unchecked Sendable {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }
}
