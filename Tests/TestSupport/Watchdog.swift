/// Runs `onTimeout` after `seconds` unless cancelled first. It bounds a wait that has no timeout of its own (an async
/// queue, a reader loop) by closing what the wait is on, so a test fails instead of hanging.
public struct Watchdog: Sendable {
    private let task: Task<Void, Never>

    public init(seconds: Double, onTimeout: @escaping @Sendable () -> Void) {
        task = Task {
            try? await Task.sleep(for: .seconds(seconds))
            if !Task.isCancelled { onTimeout() }
        }
    }

    public func cancel() { task.cancel() }
}
