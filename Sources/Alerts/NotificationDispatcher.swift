import Alerting
import Messages
import Synchronization

/// Hands each notification to every worker's queue (one per lane of each delivery), numbered in the order they were
/// decided, and knows up to which number every worker has finished (delivered, dead-lettered, or not for it): a
/// checkpoint taken after notification N may be written once that watermark reaches N.
///
/// Each queue is served in order by its own worker, so a slow or failing receiver delays only its own
/// notifications. The queues are bounded together: past `maxPending` notifications not yet finished everywhere,
/// reading waits (`waitForRoom`) and `alerts_backpressure_waits_total` counts it; nothing is dropped.
final class NotificationDispatcher: Sendable {
    struct Item: Sendable {
        var sequence: UInt64
        var notification: AlertNotification
        var body: [UInt8]
    }

    private struct State {
        var lastSubmitted: UInt64 = 0
        var completed: [UInt64]
        var roomWaiters: [CheckedContinuation<Void, Never>] = []
        var maxPending: Int
        var isFinished = false

        var watermark: UInt64 { completed.min() ?? lastSubmitted }
        var pending: Int { Int(lastSubmitted - watermark) }
    }

    let queues: [AsyncStream<Item>]
    private let continuations: [AsyncStream<Item>.Continuation]
    private let state: Mutex<State>

    init(deliveries: Int, maxPending: Int) {
        var queues: [AsyncStream<Item>] = []
        var continuations: [AsyncStream<Item>.Continuation] = []
        for _ in 0..<deliveries {
            // Unbounded here; the bound is `maxPending` over all queues, enforced by `waitForRoom`.
            let (stream, continuation) = AsyncStream.makeStream(of: Item.self)
            queues.append(stream)
            continuations.append(continuation)
        }
        self.queues = queues
        self.continuations = continuations
        state = Mutex(State(completed: Array(repeating: 0, count: deliveries), maxPending: maxPending))
    }

    /// Numbers `notification` and queues it for every delivery; returns its number.
    @discardableResult
    func submit(_ notification: AlertNotification) -> UInt64 {
        let body = notification.encoded()
        return state.withLock { state in
            state.lastSubmitted += 1
            let item = Item(sequence: state.lastSubmitted, notification: notification, body: body)
            for continuation in continuations { continuation.yield(item) }
            return state.lastSubmitted
        }
    }

    /// The last number handed out.
    var lastSubmitted: UInt64 { state.withLock { $0.lastSubmitted } }

    /// Every notification up to this number is finished by every delivery.
    var watermark: UInt64 { state.withLock { $0.watermark } }

    /// Notifications some delivery has not finished.
    var pending: Int { state.withLock { $0.pending } }

    /// Delivery `index` finished notification `sequence` (each delivery finishes its queue in order).
    func finished(delivery index: Int, sequence: UInt64) {
        let waiters: [CheckedContinuation<Void, Never>] = state.withLock { state in
            state.completed[index] = max(state.completed[index], sequence)
            guard state.pending < state.maxPending else { return [] }
            defer { state.roomWaiters = [] }
            return state.roomWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once fewer than `maxPending` notifications are unfinished (at once when that is so). True when it had
    /// to wait.
    func waitForRoom() async -> Bool {
        var waited = false
        while state.withLock({ $0.pending >= $0.maxPending && !$0.isFinished }) {
            waited = true
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.pending < state.maxPending || state.isFinished { return true }
                    state.roomWaiters.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
        return waited
    }

    /// Ends every queue after what it holds.
    func finish() {
        for continuation in continuations { continuation.finish() }
        let waiters = state.withLock { state in
            state.isFinished = true
            defer { state.roomWaiters = [] }
            return state.roomWaiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
