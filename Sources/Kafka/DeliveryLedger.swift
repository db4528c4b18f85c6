import Synchronization

/// Why a message never reached the producer's queue.
public enum DropReason: String, Sendable, CaseIterable {
    /// The local queue (messages or bytes) was full.
    case queueFull = "queue_full"
    /// Larger than `message.max.bytes` even without its preview.
    case tooLarge = "too_large"
    /// Any other produce error (e.g. unknown topic known up front, producer fenced).
    case other
}

/// Every message's outcome. This identity holds in every snapshot:
/// `produced == delivered + failed + dropped + inFlight`.
public struct DeliveryCounters: Sendable, Equatable {
    /// Messages the application asked to publish (each counted once, whatever fallbacks were tried).
    public var produced = 0
    /// Acknowledged by the broker.
    public var delivered = 0
    /// Reported failed by librdkafka: timed out, rejected by the broker, or purged at shutdown.
    public var failed = 0
    /// Never queued, by reason.
    public var dropped: [DropReason: Int] = [:]

    public var droppedTotal: Int { dropped.values.reduce(0, +) }
    /// Queued or sent, waiting for the broker's answer.
    public var inFlight: Int { produced - delivered - failed - droppedTotal }

    public init() {}
}

/// The producer's counters and its current librdkafka client under one lock: a snapshot is always consistent, and
/// a client is never replaced (after a fatal error) while a produce call is using it.
final class DeliveryLedger: Sendable {
    struct State: Sendable {
        var counters = DeliveryCounters()
        /// nil once closed.
        var client: ProducerClient?
    }

    private let state = Mutex(State())

    var snapshot: DeliveryCounters { state.withLock { $0.counters } }

    func withLock<T>(_ body: (inout State) -> T) -> T {
        state.withLock { body(&$0) }
    }
}
