import Foundation

/// A bounded hand-over from a consumer's poll thread to one async reader, with back-pressure: when the buffer is
/// full the poll thread waits (and so stops fetching; the broker keeps the messages) rather than dropping.
final class MessageBuffer: @unchecked Sendable {
    // @unchecked: all state is guarded by `condition`.
    private let condition = NSCondition()
    private var items: [KafkaMessage] = []
    private var head = 0
    private var waiter: CheckedContinuation<KafkaMessage?, any Error>?
    private var finished = false
    private var failure: KafkaError?
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Poll thread: hands over a message, waiting while the buffer is full. Returns false once finished.
    func push(_ message: KafkaMessage) -> Bool {
        condition.lock()
        while items.count - head >= capacity && !finished {
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.1))
        }
        guard !finished else {
            condition.unlock()
            return false
        }
        if let waiter {
            self.waiter = nil
            condition.unlock()
            waiter.resume(returning: message)
            return true
        }
        items.append(message)
        condition.unlock()
        return true
    }

    /// Poll thread or closer: ends the sequence (with an error, if given) after the buffered messages.
    func finish(throwing error: KafkaError? = nil) {
        condition.lock()
        finished = true
        if failure == nil { failure = error }
        let pending = waiter
        waiter = nil
        condition.broadcast()
        condition.unlock()
        if let pending {
            if let error { pending.resume(throwing: error) } else { pending.resume(returning: nil) }
        }
    }

    /// Drops the messages not handed to the reader yet (after a seek, they belong to the old position); returns
    /// how many.
    @discardableResult
    func discardWaiting() -> Int {
        condition.lock()
        let dropped = items.count - head
        items.removeAll(keepingCapacity: true)
        head = 0
        condition.broadcast()
        condition.unlock()
        return dropped
    }

    /// Reader: the next buffered message without waiting; nil when none is buffered (`next()` then waits, or says
    /// how the sequence ended).
    func nextIfBuffered() -> KafkaMessage? {
        condition.lock()
        defer { condition.unlock() }
        return takeLocked()
    }

    /// The oldest buffered message, if any; the caller holds the lock. Wakes a poll thread waiting for room.
    private func takeLocked() -> KafkaMessage? {
        guard head < items.count else { return nil }
        let message = items[head]
        head += 1
        if head > 1024 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return message
    }

    var isFinished: Bool {
        condition.lock()
        defer { condition.unlock() }
        return finished
    }

    /// Reader: the next message, or nil when finished.
    func next() async throws -> KafkaMessage? {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            if let message = takeLocked() {
                condition.unlock()
                continuation.resume(returning: message)
            } else if finished {
                let error = failure
                condition.unlock()
                if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: nil) }
            } else {
                precondition(waiter == nil, "one reader at a time")
                waiter = continuation
                condition.unlock()
            }
        }
    }
}
