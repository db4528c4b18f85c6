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

/// A producer's state: which librdkafka client it publishes through, and every message's outcome. It changes only by
/// the transitions below, under the producer's one lock (so a snapshot of the counters is always consistent, and a
/// client is never swapped while a produce call uses it). A transition returns what is left to do outside the lock
/// (build a client, shut one down), so the lock is never held across a blocking librdkafka call.
///
///     opening ──opened──▶ open(client) ──fatal error──▶ replacing(failed) ──built──▶ open(replacement)
///                              ▲                              │                     (the failed one retired)
///                              └──── build failed: open(failed), next attempt after a pause
///     any state ──close──▶ closed        (a replacement built after the close is discarded)
///
/// Generic over the client so the transitions can be tested without librdkafka.
struct ProducerStateMachine<Client: AnyObject & Sendable>: Sendable {
    enum State {
        case opening
        /// Publishing through `client`; after a failed replacement, the next attempt waits until `retryNotBeforeNs`.
        case open(Client, retryNotBeforeNs: UInt64)
        /// A fatal error stopped `failed` (it refuses every message now); a replacement is being built.
        case replacing(failed: Client)
        case closed
    }

    private(set) var state = State.opening
    private(set) var counters = DeliveryCounters()

    /// The client to publish through: the failed one while a replacement is built (it refuses every message, so
    /// nothing is queued in it); nil before it opened and once closed.
    var client: Client? {
        switch state {
        case .open(let client, _), .replacing(failed: let client): client
        case .opening, .closed: nil
        }
    }

    /// The first client is ready. Returns it back when the producer was closed meanwhile (shut it down).
    mutating func opened(_ client: Client) -> Client? {
        guard case .opening = state else { return client }
        state = .open(client, retryNotBeforeNs: 0)
        return nil
    }

    enum FatalErrorAction {
        /// Build a new client; hand it to `replacementBuilt` (or report `replacementFailed`).
        case replace(failed: Client)
        /// A replacement is already under way, the error came from a client already retired, the producer is
        /// closed, or the last attempt failed too recently.
        case none
    }

    /// A client reported a fatal error (librdkafka's error callback, or a produce call refused with one).
    mutating func fatalError(reportedBy isReporter: (Client) -> Bool, nowNs: UInt64) -> FatalErrorAction {
        guard case .open(let current, let notBefore) = state, isReporter(current), nowNs >= notBefore else {
            return .none
        }
        state = .replacing(failed: current)
        return .replace(failed: current)
    }

    enum ReplacementAction {
        /// The replacement is in use: shut the failed client down (what it held is purged and counted as failed).
        case retire(failed: Client)
        /// The producer was closed meanwhile: shut the replacement down.
        case discard
    }

    mutating func replacementBuilt(_ replacement: Client) -> ReplacementAction {
        guard case .replacing(let failed) = state else { return .discard }
        state = .open(replacement, retryNotBeforeNs: 0)
        return .retire(failed: failed)
    }

    /// Building the replacement failed: keep the failed client (it refuses messages, each counted) and try again on
    /// the next fatal error after `retryAfterNs`, so a broken setup does not spin.
    mutating func replacementFailed(nowNs: UInt64, retryAfterNs: UInt64) {
        guard case .replacing(let failed) = state else { return }
        state = .open(failed, retryNotBeforeNs: nowNs &+ retryAfterNs)
    }

    /// Closes the producer. Returns the client to shut down (nil when already closed). A replacement under way is
    /// discarded when it arrives.
    mutating func close() -> Client? {
        defer { state = .closed }
        return client
    }

    // Every message's outcome.

    mutating func queued() { counters.produced += 1 }
    mutating func dropped(_ reason: DropReason) {
        counters.produced += 1
        counters.dropped[reason, default: 0] += 1
    }
    mutating func delivered() { counters.delivered += 1 }
    mutating func failed() { counters.failed += 1 }
}
