import AnalyticsCore
import Foundation
import Logging
import Messages
import Metrics
import RuntimeSupport
import Synchronization
import Zones

/// Takes raw frame messages (from Kafka or in-process), updates the board and pushes the changes to the hub.
/// Malformed messages are counted and logged at most once per interval.
public final class BoardPublisher: Sendable {
    public let board: StreamBoard
    public let hub: WebSocketHub
    public let logger: Logger
    private let invalidLog = LogThrottle(every: 10)
    private let messagesCounter = Counter(label: "dashboard_messages_total")
    private let invalidCounter = Counter(label: "dashboard_invalid_messages_total")
    private let outdatedCounter = Counter(label: "dashboard_outdated_messages_total")
    private let outdatedLog = LogThrottle(every: 10)

    /// The dashboard's clock: the hub's.
    public var clock: ServiceClock { hub.clock }

    public init(board: StreamBoard, hub: WebSocketHub, logger: Logger) {
        self.board = board
        self.hub = hub
        self.logger = logger
    }

    /// One message as received; `origin` says where it came from in the log (e.g. "partition 0 offset 12").
    public func ingest(_ bytes: some Collection<UInt8>, origin: @autoclosure () -> String) {
        let now = clock.wallMilliseconds
        handle(board.ingest(bytes, nowMs: now), origin: origin())
    }

    /// One typed message (the embedded pipeline's results: nothing to decode), and its zone and line events.
    public func ingest(_ message: DecodedFrameMessage, events: [ZoneEvent] = []) {
        let now = clock.wallMilliseconds
        handle(board.ingest(message, nowMs: now), origin: "the pipeline")
        guard !events.isEmpty else { return }
        let result = message.result
        for event in events {
            board.ingestEvent(
                EventView(
                    stream: result.streamID, run_id: result.runID, event: event.kind.rawValue, name: event.name,
                    track_id: event.trackID, class_name: event.className, direction: event.direction?.rawValue,
                    duration_s: event.durationSeconds, frame_id: result.frameID, timestamp_ms: result.timestampMs))
        }
        hub.publish(EventsView(events: board.recentEvents(limit: WebSocketHub.eventsShown)))
    }

    /// One message of the events topic.
    public func ingestEvent(_ bytes: some Collection<UInt8>, origin: @autoclosure () -> String) {
        if board.ingestEvent(bytes) != nil {
            hub.publish(EventsView(events: board.recentEvents(limit: WebSocketHub.eventsShown)))
        } else {
            invalidLog.record(logger, .warning, "invalid event message at \(origin()); skipped and counted")
        }
    }

    /// One message of the alerts topic.
    public func ingestAlert(_ bytes: some Collection<UInt8>, origin: @autoclosure () -> String) {
        if board.ingestAlert(bytes) {
            hub.publish(board.alerts(limit: WebSocketHub.alertsShown))
        } else {
            invalidLog.record(logger, .warning, "invalid alert notification at \(origin()); skipped and counted")
        }
    }

    private func handle(_ ingested: StreamBoard.Ingested, origin: @autoclosure () -> String) {
        switch ingested {
        case .updated(let view, let thumbnail):
            messagesCounter.increment()
            hub.publish(view)
            if let thumbnail { hub.publish(thumbnail) }
        case .invalid(let reason):
            invalidCounter.increment()
            invalidLog.record(logger, .warning, "invalid message at \(origin()): \(reason); skipped and counted")
        case .outdated(let run, let current):
            outdatedCounter.increment()
            outdatedLog.record(
                logger, .info,
                "message at \(origin()) is from run \(run), older than the stream's current run \(current) (sent before a restart); skipped and counted"
            )
        }
    }

    /// Re-evaluates health and rates and pushes what changed plus the totals. Call about once a second.
    /// `sourceReasons`: why streams are down, where the sources are known (the embedded board).
    public func tick(sourceReasons: [String: String] = [:]) {
        let now = clock.wallMilliseconds
        for view in board.refresh(nowMs: now, sourceReasons: sourceReasons) { hub.publish(view) }
        var totals = board.totals(nowMs: now)
        let feed = feedState.withLock { $0 }
        totals.lag = feed.lag
        totals.backlog_jumps = feed.jumps
        hub.publish(totals)
    }

    /// The Kafka feed's consumer lag and skipped backlogs, shown with the totals.
    private let feedState = Mutex<(lag: Int?, jumps: Int)>((nil, 0))

    public func recordFeed(lag: Int?, jumps: Int) {
        feedState.withLock { $0 = (lag, jumps) }
    }

    /// Ticks every `seconds` until cancelled.
    public func runTicks(
        every seconds: Double = 1, sourceReasons: @Sendable () -> [String: String] = { [:] }
    ) async {
        while !Task.isCancelled {
            try? await clock.sleep(for: .seconds(seconds))
            if Task.isCancelled { return }
            tick(sourceReasons: sourceReasons())
        }
    }
}
