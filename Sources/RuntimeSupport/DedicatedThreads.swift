import Foundation
import Synchronization

/// Every thread the project starts: the blocking C work (decoding, inference, librdkafka's polls, file writes,
/// closes that wait) that must stay off Swift's cooperative pool. One registry per process, so that a shutdown can
/// wait for them all and name any that is still running: no thread is abandoned unseen.
public final class DedicatedThreads: Sendable {
    /// The process's threads.
    public static let process = DedicatedThreads()

    private struct State {
        var running: [UInt64: String] = [:]
        var nextID: UInt64 = 0
        var idleWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    /// Starts `body` on a new thread named `name`; the handle awaits or joins its end.
    @discardableResult
    public func start(
        named name: String, stackSize: Int? = nil, _ body: @escaping @Sendable () -> Void
    ) -> DedicatedThread {
        let handle = DedicatedThread(name: name)
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            state.running[state.nextID] = name
            return state.nextID
        }
        let thread = Thread { [self] in
            body()
            handle.finish()
            let waiters: [CheckedContinuation<Void, Never>] = state.withLock { state in
                state.running.removeValue(forKey: id)
                guard state.running.isEmpty else { return [] }
                defer { state.idleWaiters.removeAll() }
                return Array(state.idleWaiters.values)
            }
            for waiter in waiters { waiter.resume() }
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
    public var running: [String] { state.withLock { $0.running.values.sorted() } }

    /// Whether every thread has ended within `limit` of `clock`'s time (e.g. at exit, after the service group);
    /// `running` then names any that has not.
    public func allFinished(within limit: Duration, clock: ServiceClock) async -> Bool {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let now = self.state.withLock { state in
                            if state.running.isEmpty || Task.isCancelled { return true }
                            state.idleWaiters[id] = continuation
                            return false
                        }
                        if now { continuation.resume() }
                    }
                } onCancel: {
                    self.state.withLock { $0.idleWaiters.removeValue(forKey: id) }?.resume()
                }
                return self.running.isEmpty
            }
            group.addTask {
                try? await clock.sleep(for: limit)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first || running.isEmpty
        }
    }
}

/// One thread started by `DedicatedThreads`: its end can be awaited (async code) or joined (another thread).
public final class DedicatedThread: Sendable {
    public let name: String
    private struct State {
        var done = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextID: UInt64 = 0
    }
    private let state = Mutex(State())
    private let ended = DispatchSemaphore(value: 0)

    init(name: String) { self.name = name }

    fileprivate func finish() {
        let waiters = state.withLock { state in
            state.done = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        ended.signal()
        for waiter in waiters { waiter.resume() }
    }

    public var isFinished: Bool { state.withLock { $0.done } }

    /// Returns when the thread's body has returned (whether or not the waiting task is cancelled: the work is
    /// blocking and bounded, and its result is wanted).
    public func finished() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                if state.done { return true }
                state.nextID += 1
                state.waiters[state.nextID] = continuation
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Returns when the thread's body has returned, or when the waiting task is cancelled.
    private func finishedOrCancelled() async {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    if state.done || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// Whether the thread ended within `limit` of `clock`'s time. One that overruns keeps running, and stays listed
    /// in `DedicatedThreads.running` until it ends.
    public func finished(within limit: Duration, clock: ServiceClock) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.finishedOrCancelled()
                return self.isFinished
            }
            group.addTask {
                try? await clock.sleep(for: limit)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first || isFinished
        }
    }

    /// Blocks the calling thread (never a cooperative one) until the thread has ended.
    public func join() {
        ended.wait()
        ended.signal()  // later joins return at once
    }

    /// Blocks the calling thread (never a cooperative one) until the thread has ended or `seconds` have passed;
    /// true when it ended.
    public func join(waitingAtMost seconds: Double) -> Bool {
        guard ended.wait(timeout: .now() + max(0, seconds)) == .success else { return false }
        ended.signal()
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
