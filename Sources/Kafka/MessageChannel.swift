import Foundation
import Synchronization

/// The bounded hand-over from a consumer's poll thread (or a test's script) to one async reader: `messages`, with
/// back-pressure and cancellation. When the buffer is full the sender waits (the poll thread stops fetching and the
/// broker keeps the messages) rather than dropping; a reader whose task is cancelled gets nil at once.
/// All state is one `MessageChannelState` behind a mutex: its transitions return what to do outside the lock.
public final class MessageChannel: Sendable {
    private let state: Mutex<MessageChannelState>
    /// Signalled when a full buffer gets room (or ends), for a sender waiting in `sendWaiting`.
    private let room = DispatchSemaphore(value: 0)

    public init(capacity: Int) {
        state = Mutex(MessageChannelState(capacity: capacity))
    }

    /// The messages in the order sent; ends after `finish`, or yields nil to a cancelled reader. One reader at a time.
    public var messages: Messages { Messages(channel: self) }

    public struct Messages: AsyncSequence, Sendable {
        public typealias Element = KafkaMessage
        let channel: MessageChannel

        public struct AsyncIterator: AsyncIteratorProtocol {
            let channel: MessageChannel
            public mutating func next() async throws -> KafkaMessage? { try await channel.next() }
        }

        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(channel: channel) }
    }

    /// Hands over a message without waiting.
    public func send(_ message: KafkaMessage) -> MessageChannelState.SendResult {
        let action = state.withLock { $0.send(message) }
        switch action {
        case .resume(let reader, let message):
            reader.resume(returning: message)
            return .accepted
        case .result(let result):
            return result
        }
    }

    /// Sender thread (never a cooperative one): hands over a message, waiting while the buffer is full. False once
    /// the channel is finished (the message is not taken).
    public func sendWaiting(_ message: KafkaMessage) -> Bool {
        while true {
            switch send(message) {
            case .accepted: return true
            case .finished: return false
            case .full: _ = waitForRoom(waitingAtMost: 0.1)
            }
        }
    }

    /// Sender thread: waits until the buffer may have room (a message was read, or the channel ended) or `seconds`
    /// pass; true when woken.
    public func waitForRoom(waitingAtMost seconds: Double) -> Bool {
        room.wait(timeout: .now() + max(0, seconds)) == .success
    }

    /// Ends `messages` (with an error, if given) after the buffered messages.
    public func finish(throwing error: KafkaError? = nil) {
        let reader = state.withLock { $0.finish(error) }
        room.signal()
        if let reader {
            if let error { reader.resume(throwing: error) } else { reader.resume(returning: nil) }
        }
    }

    /// Drops the messages not handed to the reader yet (after a seek, they belong to the old position); returns
    /// how many.
    @discardableResult
    public func discardWaiting() -> Int {
        let (dropped, wake) = state.withLock { $0.discardWaiting() }
        if wake { room.signal() }
        return dropped
    }

    /// The next buffered message without waiting; nil when none is buffered.
    public func nextBuffered() -> KafkaMessage? {
        let (message, wake) = state.withLock { $0.take() }
        if wake { room.signal() }
        return message
    }

    public var isFinished: Bool { state.withLock { $0.isFinished } }

    /// Messages buffered, not yet read.
    public var buffered: Int { state.withLock { $0.count } }

    func next() async throws -> KafkaMessage? {
        if let message = nextBuffered() { return message }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let action = state.withLock { $0.wait(continuation, cancelled: Task.isCancelled) }
                switch action {
                case .suspended: break
                case .message(let message, let wake):
                    if wake { room.signal() }
                    continuation.resume(returning: message)
                case .end(let error):
                    if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: nil) }
                }
            }
        } onCancel: {
            state.withLock { $0.cancelReader() }?.resume(returning: nil)
        }
    }
}

/// The channel's state and its transitions. Each returns what the caller does once the lock is released (resume the
/// reader, wake the sender), so no continuation is resumed under the lock.
public struct MessageChannelState {
    public enum SendResult: Sendable, Equatable {
        case accepted
        /// The buffer holds `capacity` messages: wait and send again.
        case full
        /// The channel is finished; the message was not taken.
        case finished
    }
    enum SendAction {
        case resume(CheckedContinuation<KafkaMessage?, any Error>, KafkaMessage)
        case result(SendResult)
    }
    enum WaitAction {
        case suspended
        case message(KafkaMessage, wakeSender: Bool)
        case end(KafkaError?)
    }

    private let capacity: Int
    private var items: [KafkaMessage] = []
    private var head = 0
    private var reader: CheckedContinuation<KafkaMessage?, any Error>?
    private var finished = false
    private var failure: KafkaError?

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var count: Int { items.count - head }
    var isFinished: Bool { finished }

    mutating func send(_ message: KafkaMessage) -> SendAction {
        if finished { return .result(.finished) }
        if let reader {
            self.reader = nil
            return .resume(reader, message)
        }
        if count >= capacity { return .result(.full) }
        items.append(message)
        return .result(.accepted)
    }

    /// The oldest buffered message, and whether a sender may be waiting for the room it leaves.
    mutating func take() -> (KafkaMessage?, wakeSender: Bool) {
        guard head < items.count else { return (nil, false) }
        let wasFull = count >= capacity
        let message = items[head]
        head += 1
        if head > 1024 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return (message, wasFull)
    }

    mutating func wait(_ continuation: CheckedContinuation<KafkaMessage?, any Error>, cancelled: Bool) -> WaitAction {
        let (message, wake) = take()
        if let message { return .message(message, wakeSender: wake) }
        if finished { return .end(failure) }
        if cancelled { return .end(nil) }
        precondition(reader == nil, "one reader at a time")
        reader = continuation
        return .suspended
    }

    mutating func cancelReader() -> CheckedContinuation<KafkaMessage?, any Error>? {
        defer { reader = nil }
        return reader
    }

    mutating func finish(_ error: KafkaError?) -> CheckedContinuation<KafkaMessage?, any Error>? {
        finished = true
        if failure == nil { failure = error }
        defer { reader = nil }
        return reader
    }

    mutating func discardWaiting() -> (Int, wakeSender: Bool) {
        let dropped = count
        items.removeAll(keepingCapacity: true)
        head = 0
        return (dropped, dropped > 0)
    }
}
