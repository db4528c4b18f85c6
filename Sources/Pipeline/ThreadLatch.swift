import Foundation
import Synchronization

/// Lets async code wait until a number of threads have arrived (e.g. every stream reader has ended), without blocking
/// the cooperative pool.
final class ThreadLatch: Sendable {
    private let state: Mutex<(remaining: Int, waiters: [CheckedContinuation<Void, Never>])>

    init(count: Int) {
        state = Mutex((count, []))
    }

    /// Called by each thread as it ends.
    func arrive() {
        let resumed: [CheckedContinuation<Void, Never>] = state.withLock { state in
            state.remaining -= 1
            guard state.remaining <= 0 else { return [] }
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in resumed { waiter.resume() }
    }

    var isOpen: Bool { state.withLock { $0.remaining <= 0 } }

    /// Returns when every thread has arrived.
    func wait() async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state in
                if state.remaining <= 0 { return true }
                state.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }
}
