import Kafka
import RuntimeSupport
import Synchronization

/// A consumer whose messages, lag, assignment and broker state a test sets: the readers of the bus (the dashboard's
/// feed, replay sessions) run in process against it, with a manual clock, without a broker or waiting.
/// `seek(toTimestampMs:)` is recorded and, like librdkafka's, drops what was fetched but not read yet; `onSeek`
/// lets the script answer it (e.g. send the messages from that time on).
public final class ScriptedConsumer: MessageSource {
    public let channel: MessageChannel
    private struct State {
        var lag: Int?
        var assigned: Int?
        var brokerStatus: BrokerProbe.Status = .reachable
        var seeks: [Int64] = []
        var closed = false
        var onSeek: (@Sendable (Int64) -> Void)?
    }
    private let state = Mutex(State())

    public init(capacity: Int = 1024, assignedPartitions: Int? = 1) {
        channel = MessageChannel(capacity: capacity)
        state.withLock { $0.assigned = assignedPartitions }
    }

    /// Sends the messages in order (waiting while the reader's buffer is full, as a poll thread does).
    public func send(_ messages: [KafkaMessage]) {
        for message in messages where !channel.sendWaiting(message) { return }
    }

    /// Sends the messages in order until a seek happens: what a broker does for a consumer that seeks away (nothing
    /// fetched from the old position arrives after the seek). Returns how many were sent.
    @discardableResult
    public func sendUntilSought(_ messages: [KafkaMessage]) -> Int {
        var sent = 0
        for message in messages {
            while true {
                // Checked and sent under the lock that `seek` takes first: no message slips in after a seek.
                let outcome = state.withLock { state -> MessageChannelState.SendResult in
                    state.seeks.isEmpty ? channel.send(message) : .finished
                }
                if outcome == .finished { return sent }
                if outcome == .accepted { break }
                _ = channel.waitForRoom(waitingAtMost: 0.1)
            }
            sent += 1
        }
        return sent
    }

    public func set(lag: Int?) { state.withLock { $0.lag = lag } }
    public func set(brokerStatus: BrokerProbe.Status) { state.withLock { $0.brokerStatus = brokerStatus } }
    public func set(assignedPartitions: Int?) { state.withLock { $0.assigned = assignedPartitions } }
    /// Runs on the seeking thread, after the buffered messages were dropped.
    public func onSeek(_ body: @escaping @Sendable (Int64) -> Void) { state.withLock { $0.onSeek = body } }

    /// The times sought to, in order.
    public var seeks: [Int64] { state.withLock { $0.seeks } }
    public var isClosed: Bool { state.withLock { $0.closed } }

    public var messages: MessageChannel.Messages { channel.messages }
    public func nextBuffered() -> KafkaMessage? { channel.nextBuffered() }
    public var brokerStatus: BrokerProbe.Status { state.withLock { $0.brokerStatus } }
    public var lag: Int? { state.withLock { $0.lag } }
    public var assignedPartitions: Int? { state.withLock { $0.assigned } }

    @discardableResult
    public func seek(toTimestampMs timestampMs: Int64) throws(KafkaError) -> Int {
        let handler = state.withLock { state in
            state.seeks.append(timestampMs)
            channel.discardWaiting()
            return state.onSeek
        }
        handler?(timestampMs)
        return state.withLock { $0.assigned ?? 0 }
    }

    public func finishReading() { channel.finish() }

    public func close() {
        state.withLock { $0.closed = true }
        channel.finish()
    }
}
