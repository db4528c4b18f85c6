import Synchronization

/// A one-shot event that tasks can await: fired once (e.g. "closed"), it wakes every waiter and any later wait
/// returns at once. A waiting task that is cancelled returns at once too.
public final class Signal: Sendable {
    private struct State {
        var fired = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextID: UInt64 = 0
    }
    private let state = Mutex(State())

    public init() {}

    public var isFired: Bool { state.withLock { $0.fired } }

    /// Fires the signal; true for the call that fired it, false when it had fired already.
    @discardableResult
    public func fire() -> Bool {
        let (first, waiters) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
            guard !state.fired else { return (false, []) }
            state.fired = true
            defer { state.waiters.removeAll() }
            return (true, Array(state.waiters.values))
        }
        for waiter in waiters { waiter.resume() }
        return first
    }

    /// Returns once the signal has fired, or when the waiting task is cancelled.
    public func wait() async {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await suspend(id: id, cancellable: true)
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// Returns once the signal has fired, whether or not the waiting task is cancelled.
    public func waitIgnoringCancellation() async {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        await suspend(id: id, cancellable: false)
    }

    private func suspend(id: UInt64, cancellable: Bool) async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state in
                if state.fired || (cancellable && Task.isCancelled) { return true }
                state.waiters[id] = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Whether it fires within `limit` of `clock`'s time (the waiting stops at the limit; the signal may fire later).
    public func wait(within limit: Duration, clock: ServiceClock) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.wait()
                return self.isFired
            }
            group.addTask {
                try? await clock.sleep(for: limit)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first || isFired
        }
    }
}
