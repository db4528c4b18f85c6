import Metrics
import Synchronization

/// What one WebSocket client has not been sent yet, coalesced: at most one pending update per key (a stream's view,
/// its thumbnail, the totals), the newest. A slow client therefore holds at most a few entries per stream, never a
/// growing backlog, and its slowness never delays other clients. Overwritten updates are counted.
public final class ClientQueue: Sendable {
    private struct State {
        var pending: [String: String] = [:]
        var order: [String] = []
        var waiter: CheckedContinuation<[String]?, Never>?
        var closed = false
        /// nil = every stream.
        var subscription: Set<String>?
        var coalesced = 0
        /// While the client watches a replay, live updates are not queued for it (and replay updates only then).
        var replaying = false
    }

    private let state = Mutex(State())
    /// All clients' overwritten updates (each client's own total is recorded when it disconnects).
    private static let coalescedUpdates = Counter(label: "dashboard_coalesced_updates_total")

    public init(subscription: Set<String>? = nil) {
        state.withLock { $0.subscription = subscription }
    }

    /// Queues `payload` under `key`, replacing an unsent payload with the same key. `streamID` nil means "for
    /// everyone" (totals); otherwise it is filtered by the subscription.
    public func put(key: String, streamID: String?, payload: String) {
        put(key: key, streamID: streamID, payload: payload, replay: false)
    }

    /// Queues an update of the client's replay session (ignored unless it is replaying).
    public func putReplay(key: String, streamID: String?, payload: String) {
        put(key: key, streamID: streamID, payload: payload, replay: true)
    }

    /// Switches the client to (or back from) a replay: what is pending of the other kind is dropped. Back in live
    /// mode the hub sends the live board again (`WebSocketHub.resend`).
    public func setReplaying(_ replaying: Bool) {
        state.withLock { state in
            guard state.replaying != replaying else { return }
            state.replaying = replaying
            state.pending.removeAll()
            state.order.removeAll()
        }
    }

    private func put(key: String, streamID: String?, payload: String, replay: Bool) {
        let resumed: (CheckedContinuation<[String]?, Never>, [String])? = state.withLock { state in
            guard !state.closed, state.replaying == replay else { return nil }
            if let streamID, let subscription = state.subscription, !subscription.contains(streamID) { return nil }
            if state.pending.updateValue(payload, forKey: key) != nil {
                state.coalesced += 1
                Self.coalescedUpdates.increment()
            } else {
                state.order.append(key)
            }
            guard let waiter = state.waiter else { return nil }
            state.waiter = nil
            return (waiter, Self.drain(&state))
        }
        if let (waiter, batch) = resumed { waiter.resume(returning: batch) }
    }

    /// Everything pending, oldest key first; waits while nothing is pending. nil once closed.
    public func next() async -> [String]? {
        await withCheckedContinuation { continuation in
            let ready: [String]?? = state.withLock { state in
                if state.closed { return .some(nil) }
                if !state.order.isEmpty { return .some(Self.drain(&state)) }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    public func setSubscription(_ subscription: Set<String>?) {
        state.withLock { state in
            state.subscription = subscription
            guard let subscription else { return }
            // Drop what is no longer wanted.
            state.order.removeAll { key in
                let stream = key.split(separator: ":", maxSplits: 1).last.map(String.init) ?? key
                guard key.hasPrefix("s:") || key.hasPrefix("t:") else { return false }
                if !subscription.contains(stream) {
                    state.pending[key] = nil
                    return true
                }
                return false
            }
        }
    }

    public func close() {
        let waiter = state.withLock { state in
            state.closed = true
            state.pending.removeAll()
            state.order.removeAll()
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    public var pendingCount: Int { state.withLock { $0.order.count } }
    public var coalescedCount: Int { state.withLock { $0.coalesced } }

    private static func drain(_ state: inout State) -> [String] {
        let batch = state.order.compactMap { state.pending[$0] }
        state.order.removeAll(keepingCapacity: true)
        state.pending.removeAll(keepingCapacity: true)
        return batch
    }
}
