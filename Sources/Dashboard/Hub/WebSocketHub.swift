import Foundation
import Metrics
import RuntimeSupport
import Synchronization

/// Fans board updates out to every connected WebSocket client through each client's coalescing queue. Each update
/// is encoded once, whatever the number of clients.
public final class WebSocketHub: Sendable {
    private let clients = Mutex<(next: Int, queues: [Int: ClientQueue])>((0, [:]))
    private let board: StreamBoard
    private let clientsGauge = Gauge(label: "dashboard_clients")
    /// Per client, at disconnect: how many of its updates were overwritten before it read them.
    private let clientCoalesced = Recorder(label: "dashboard_client_coalesced_updates", aggregate: true)

    /// The dashboard's clock (the totals' rates and ages).
    public let clock: ServiceClock

    public init(board: StreamBoard, clock: ServiceClock = .system) {
        self.board = board
        self.clock = clock
    }

    static func streamKey(_ id: String) -> String { "s:\(id)" }
    static func thumbnailKey(_ id: String) -> String { "t:\(id)" }
    static let totalsKey = "totals"
    static let eventsKey = "events"
    /// Events a client is sent with each update of the panel (the newest).
    static let eventsShown = 50
    static let alertsKey = "alerts"
    static let alertsShown = 50

    /// Registers a client and queues the board's current snapshot for it.
    public func connect(subscription: Set<String>? = nil) -> (id: Int, queue: ClientQueue) {
        let queue = ClientQueue(subscription: subscription)
        let (id, count) = clients.withLock { clients in
            clients.next += 1
            clients.queues[clients.next] = queue
            return (clients.next, clients.queues.count)
        }
        clientsGauge.record(count)
        resend(to: queue)
        return (id, queue)
    }

    /// Queues the board's current snapshot for `queue` (a new client, or one back from a replay).
    public func resend(to queue: ClientQueue) {
        let now = clock.wallMilliseconds
        queue.put(key: Self.totalsKey, streamID: nil, payload: Self.encode(board.totals(nowMs: now)))
        let events = board.recentEvents(limit: Self.eventsShown)
        if !events.isEmpty {
            queue.put(key: Self.eventsKey, streamID: nil, payload: Self.encode(EventsView(events: events)))
        }
        let alerts = board.alerts(limit: Self.alertsShown)
        if !alerts.recent.isEmpty {
            queue.put(key: Self.alertsKey, streamID: nil, payload: Self.encode(alerts))
        }
        for (view, thumbnail) in board.snapshot() {
            queue.put(key: Self.streamKey(view.id), streamID: view.id, payload: Self.encode(view))
            if let thumbnail {
                queue.put(key: Self.thumbnailKey(view.id), streamID: view.id, payload: Self.encode(thumbnail))
            }
        }
    }

    public func disconnect(_ id: Int) {
        let (queue, count) = clients.withLock { ($0.queues.removeValue(forKey: id), $0.queues.count) }
        queue?.close()
        clientsGauge.record(count)
        if let queue { clientCoalesced.record(queue.coalescedCount) }
    }

    public var clientCount: Int { clients.withLock { $0.queues.count } }

    public func publish(_ view: StreamView) {
        broadcast(key: Self.streamKey(view.id), streamID: view.id, payload: Self.encode(view))
    }

    public func publish(_ thumbnail: ThumbnailView) {
        broadcast(key: Self.thumbnailKey(thumbnail.id), streamID: thumbnail.id, payload: Self.encode(thumbnail))
    }

    /// The newest events, as one coalescing update: a slow client skips intermediate lists, never an event that is
    /// still among the newest.
    public func publish(_ events: EventsView) {
        broadcast(key: Self.eventsKey, streamID: nil, payload: Self.encode(events))
    }

    public func publish(_ alerts: AlertsView) {
        broadcast(key: Self.alertsKey, streamID: nil, payload: Self.encode(alerts))
    }

    public func publish(_ totals: BoardTotals) {
        broadcast(key: Self.totalsKey, streamID: nil, payload: Self.encode(totals))
    }

    private func broadcast(key: String, streamID: String?, payload: String) {
        let queues = clients.withLock { Array($0.queues.values) }
        for queue in queues { queue.put(key: key, streamID: streamID, payload: payload) }
    }

    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        // Thumbnails are base64: escaping every '/' would bloat them for nothing.
        encoder.outputFormatting = [.withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
