import Foundation
import Synchronization

/// A serial executor that runs every job on one thread of its own. An actor that uses it (`unownedExecutor`) may
/// make blocking calls (SQLite, libpq) in its methods without holding a thread of the cooperative pool; the actor's
/// state (a connection) is confined to that thread. The thread ends with `shutdown()` once its queue is empty.
public final class DedicatedThreadExecutor: SerialExecutor, @unchecked Sendable {
    // @unchecked: `queue` and `isShutDown` are only touched under `condition`.
    private let condition = NSCondition()
    private var queue: [UnownedJob] = []
    private var isShutDown = false

    public init(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock()
        queue.append(unowned)
        condition.signal()
        condition.unlock()
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }

    /// Lets the thread end after the jobs already queued.
    public func shutdown() {
        condition.lock()
        isShutDown = true
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !isShutDown { condition.wait() }
            if queue.isEmpty {
                condition.unlock()
                return
            }
            let job = queue.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedSerialExecutor())
        }
    }
}
