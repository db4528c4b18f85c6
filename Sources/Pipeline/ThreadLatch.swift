import Foundation
import Synchronization

/// Lets async code wait for a number of threads to finish, without blocking the cooperative pool.
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

    /// Returns true when every thread arrived within `seconds` (used only while shutting down, so polling is fine).
    func wait(atMost seconds: Double) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(seconds))
        while !isOpen {
            guard clock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }
}

/// Runs a blocking call on a thread of its own and waits at most `seconds` for it; true when it finished. A call
/// that overruns keeps its thread and is left behind (shutdown goes on without it).
public func runOnDedicatedThread(
    named name: String, atMost seconds: Double, _ body: @escaping @Sendable () -> Void
) async -> Bool {
    let done = ThreadLatch(count: 1)
    let thread = Thread {
        body()
        done.arrive()
    }
    thread.name = name
    thread.start()
    return await done.wait(atMost: seconds)
}
