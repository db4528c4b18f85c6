import Synchronization

/// Tasks waiting for acknowledgements that a C library's thread reports (an MQTT PUBACK by message id, a Kafka
/// delivery report by tag). An acknowledgement that arrives before its waiter (the callback can beat the code that
/// published) is kept until the waiter comes; a cancelled waiter stops waiting at once.
final class AcknowledgementWaiters<Key: Hashable & Sendable>: Sendable {
    private struct State {
        var waiting: [Key: CheckedContinuation<Void, any Error>] = [:]
        var early: Set<Key> = []
    }

    private let state = Mutex(State())

    /// Returns when `key` is acknowledged; throws `CancellationError` when the task is cancelled first.
    func wait(for key: Key) async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Bool = state.withLock { state in
                    if state.early.remove(key) != nil { return true }
                    if Task.isCancelled { return true }
                    state.waiting[key] = continuation
                    return false
                }
                if resumeNow {
                    if Task.isCancelled {
                        continuation.resume(throwing: CancellationError())
                    } else {
                        continuation.resume()
                    }
                }
            }
        } onCancel: {
            state.withLock { $0.waiting.removeValue(forKey: key) }?.resume(throwing: CancellationError())
        }
    }

    /// Called from the library's thread.
    func acknowledge(_ key: Key) {
        let waiter: CheckedContinuation<Void, any Error>? = state.withLock { state in
            if let waiter = state.waiting.removeValue(forKey: key) { return waiter }
            state.early.insert(key)
            return nil
        }
        waiter?.resume()
    }

    /// Forgets an acknowledgement nobody waits for any more (a waiter that timed out).
    func forget(_ key: Key) {
        _ = state.withLock { $0.early.remove(key) }
    }
}

/// Runs `operation`; throws `DeliveryTimeout` when `clock` says `timeout` passed first (the operation is cancelled).
func withTimeout<C: Clock, T: Sendable>(
    _ timeout: Duration, clock: C, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T where C.Duration == Duration {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await clock.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw DeliveryTimeout() }
        return value
    }
}

struct DeliveryTimeout: Error {}
