import Foundation
import Synchronization

/// Every thread the project starts: the blocking C work (decoding, inference, librdkafka's polls, file writes,
/// closes that wait) that must stay off Swift's cooperative pool. One registry per process, so that a shutdown can
/// wait for them all and name any that is still running: no thread is abandoned unseen.
public final class DedicatedThreads: Sendable {
    /// The process's threads.
    public static let process = DedicatedThreads()

    private let registry = Mutex<(threads: [UInt64: DedicatedThread], nextID: UInt64)>(([:], 0))

    public init() {}

    /// Starts `body` on a new thread named `name`; the handle awaits or joins its end.
    @discardableResult
    public func start(
        named name: String, stackSize: Int? = nil, _ body: @escaping @Sendable () -> Void
    ) -> DedicatedThread {
        let handle = DedicatedThread(name: name)
        let id = registry.withLock { registry -> UInt64 in
            registry.nextID += 1
            registry.threads[registry.nextID] = handle
            return registry.nextID
        }
        let thread = Thread { [self] in
            body()
            _ = registry.withLock { $0.threads.removeValue(forKey: id) }
            handle.finish()
        }
        thread.name = name
        if let stackSize { thread.stackSize = stackSize }
        thread.start()
        return handle
    }

    /// Runs a blocking call on a thread of its own and awaits its result, so the cooperative pool's few threads are
    /// never blocked by it.
    public func run<T: Sendable>(named name: String, _ body: @escaping @Sendable () -> T) async -> T {
        let result = Mutex<T?>(nil)
        await start(named: name) { result.withLock { $0 = body() } }.finished()
        return result.withLock { $0! }
    }

    /// The names of the threads still running.
    public var running: [String] { registry.withLock { $0.threads.values.map(\.name).sorted() } }

    /// Whether every thread running now has ended within `limit` of `clock`'s time (e.g. at exit, after the service
    /// group); `running` then names any that has not.
    public func allFinished(within limit: Duration, clock: ServiceClock) async -> Bool {
        let threads = registry.withLock { Array($0.threads.values) }
        let deadline = clock.now.advanced(by: limit)
        for thread in threads where !(await thread.finished(within: clock.now.duration(to: deadline), clock: clock)) {
            return false
        }
        return true
    }
}

/// One thread started by `DedicatedThreads`: its end can be awaited (async code) or joined (another thread).
public final class DedicatedThread: Sendable {
    public let name: String
    private let ended = Signal()
    private let joined = DispatchSemaphore(value: 0)

    init(name: String) { self.name = name }

    fileprivate func finish() {
        ended.fire()
        joined.signal()
    }

    public var isFinished: Bool { ended.isFired }

    /// Returns when the thread's body has returned (whether or not the waiting task is cancelled: the work is
    /// blocking and bounded, and its result is wanted).
    public func finished() async { await ended.waitIgnoringCancellation() }

    /// Whether the thread ended within `limit` of `clock`'s time. One that overruns keeps running, and stays listed
    /// in `DedicatedThreads.running` until it ends.
    public func finished(within limit: Duration, clock: ServiceClock) async -> Bool {
        await ended.wait(within: max(.zero, limit), clock: clock)
    }

    /// Blocks the calling thread (never a cooperative one) until the thread has ended.
    public func join() {
        joined.wait()
        joined.signal()  // later joins return at once
    }

    /// Blocks the calling thread (never a cooperative one) until the thread has ended or `seconds` have passed;
    /// true when it ended.
    public func join(waitingAtMost seconds: Double) -> Bool {
        guard joined.wait(timeout: .now() + max(0, seconds)) == .success else { return false }
        joined.signal()
        return true
    }
}

/// Runs a blocking call on a thread of its own (`DedicatedThreads.process`) and awaits its result.
public func runOnDedicatedThread<T: Sendable>(
    named name: String, _ body: @escaping @Sendable () -> T
) async -> T {
    await DedicatedThreads.process.run(named: name, body)
}

extension ServiceClock {
    /// A deadline for `NSCondition.wait(until:)` on a dedicated thread, `seconds` from now by the operating system's
    /// clock: a condition wait is the kernel's, which a manual clock cannot reach.
    public static func conditionDeadline(afterSeconds seconds: Double) -> Date {
        Date(timeIntervalSinceNow: max(0, seconds))
    }
}
