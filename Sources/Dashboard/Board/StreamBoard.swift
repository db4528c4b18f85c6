import AnalyticsCore
import Foundation
import Messages
import Synchronization
import Zones

/// The latest state of every stream seen on the bus: latest result, latest thumbnail, message rate, end-to-end
/// latency, last-seen time and online/stale/offline health. Fed by the Kafka consumer (or in-process by the
/// pipeline); read by the WebSocket hub and the HTTP API. Thread-safe.
public final class StreamBoard: Sendable {
    public enum Ingested: Sendable {
        /// The stream's new view, and its new thumbnail when the message carried one.
        case updated(StreamView, ThumbnailView?)
        /// The message was not a valid frame message (counted).
        case invalid(String)
        /// The message came from an older run than the stream's current one (a late message from before a
        /// restart): it must not overwrite the newer run's state (counted).
        case outdated(run: String, current: String)
    }

    private struct Entry {
        var view: StreamView
        var thumbnail: ThumbnailView?
        /// Receipt times (ms) of recent messages, for the rate.
        var recent: [Int64] = []
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var messages = 0
        var invalid = 0
        var unknownFields = 0
        var outdated = 0
        /// Newest last; at most `eventCapacity`.
        var events: [EventView] = []
        var invalidEvents = 0
        /// Alert instances firing now, by instance.
        var firing: [String: AlertNotification] = [:]
        /// Newest last; at most `alertCapacity`.
        var alerts: [AlertNotification] = []
    }

    private let state = Mutex(State())
    private let staleAfterMs: Int64
    private let offlineAfterMs: Int64
    static let rateWindowMs: Int64 = 5000
    /// Events kept for the page and `/api/events` (the oldest go first).
    static let eventCapacity = 500
    static let alertCapacity = 200

    public init(staleAfterSeconds: Double = 3, offlineAfterSeconds: Double = 15) {
        staleAfterMs = Int64(staleAfterSeconds * 1000)
        offlineAfterMs = Int64(offlineAfterSeconds * 1000)
    }

    /// Shows `ids` (the configured streams) as waiting until their first message, so a stream that never comes up
    /// is visible rather than absent.
    public func register(_ ids: [String]) {
        state.withLock { state in
            for id in ids where state.entries[id] == nil { state.entries[id] = Entry(view: StreamView(id: id)) }
        }
    }

    /// Shows `streams` (the config file's) as waiting until their first message, with their zones and lines drawn
    /// from the start.
    public func register(_ streams: [StreamConfiguration]) {
        register(streams.map(\.id))
        state.withLock { state in
            for stream in streams {
                state.entries[stream.id]?.view.zones = stream.zones.map {
                    .init(name: $0.name, polygon: $0.polygon.map { [$0.x, $0.y] }, occupancy: [:])
                }
                state.entries[stream.id]?.view.lines = stream.lines.map {
                    .init(
                        name: $0.name, from: [$0.from.x, $0.from.y], to: [$0.to.x, $0.to.y], left_to_right: [:],
                        right_to_left: [:])
                }
            }
        }
    }

    /// Takes one message as received from the bus at `nowMs` (wall clock).
    public func ingest(_ bytes: some Collection<UInt8>, nowMs: Int64) -> Ingested {
        let message: DecodedFrameMessage
        do {
            message = try FrameMessageDecoder.decode(bytes)
        } catch {
            state.withLock { $0.invalid += 1 }
            return .invalid(error.description)
        }
        return ingest(message, nowMs: nowMs)
    }

    /// A message already decoded (or never encoded: the embedded pipeline's results).
    public func ingest(_ message: DecodedFrameMessage, nowMs: Int64) -> Ingested {
        let result = message.result
        let tracks = result.tracks.map {
            StreamView.TrackView(
                track_id: $0.trackID, class_id: $0.classID, class_name: $0.className, confidence: $0.confidence,
                bbox_xyxy: [$0.x1, $0.y1, $0.x2, $0.y2])
        }
        return state.withLock { state -> Ingested in
            var entry = state.entries[result.streamID] ?? Entry(view: StreamView(id: result.streamID))
            // A new run of the stream's pipeline (a restart): its track ids start again, so the old run's tracks,
            // rate and counters go at once. A message without a run id (an older producer) belongs to the current
            // run.
            if let run = result.runID, let current = entry.view.run_id, run != current {
                guard RunID.isNewer(run, than: current) else {
                    state.outdated += 1
                    return .outdated(run: run, current: current)
                }
                let restarts = entry.view.restarts + 1
                let (zones, lines) = (entry.view.zones, entry.view.lines)
                entry = Entry(view: StreamView(id: result.streamID))
                entry.view.restarts = restarts
                // The same zones and lines, their counts from zero (the new run counts afresh).
                entry.view.zones = zones.map { .init(name: $0.name, polygon: $0.polygon, occupancy: [:]) }
                entry.view.lines = lines.map {
                    .init(name: $0.name, from: $0.from, to: $0.to, left_to_right: [:], right_to_left: [:])
                }
            }
            state.messages += 1
            if !message.unknownFields.isEmpty { state.unknownFields += 1 }
            if let run = result.runID { entry.view.run_id = run }
            entry.view.instance = result.instance
            entry.recent.append(nowMs)
            entry.recent.removeAll { $0 < nowMs - Self.rateWindowMs }
            entry.view.state = .online
            entry.view.reason = nil
            entry.view.frame_id = result.frameID
            entry.view.width = result.width
            entry.view.height = result.height
            entry.view.timestamp_ms = result.timestampMs
            entry.view.latency_ms = result.timestampMs > 0 ? nowMs - result.timestampMs : nil
            entry.view.rate = Self.rate(entry.recent, nowMs: nowMs)
            entry.view.last_seen_ms = nowMs
            entry.view.messages += 1
            entry.view.tracks = tracks
            Self.apply(result, to: &entry.view)
            var thumbnail: ThumbnailView?
            if let jpeg = message.frameJPEG, jpeg.hasPrefix("data:image/jpeg;base64,") {
                thumbnail = ThumbnailView(id: result.streamID, frame_id: result.frameID, data: jpeg)
                entry.thumbnail = thumbnail
            }
            state.entries[result.streamID] = entry
            return .updated(entry.view, thumbnail)
        }
    }

    /// The message's zone occupancy and line counts onto the view (zones and lines it names that the view does not
    /// know are added, without geometry).
    private static func apply(_ result: FrameResult, to view: inout StreamView) {
        for zone in result.zones {
            if let index = view.zones.firstIndex(where: { $0.name == zone.name }) {
                view.zones[index].occupancy = zone.counts
            } else {
                view.zones.append(.init(name: zone.name, polygon: [], occupancy: zone.counts))
            }
        }
        for line in result.lines {
            let forward = line.counts[.leftToRight] ?? [:], backward = line.counts[.rightToLeft] ?? [:]
            if let index = view.lines.firstIndex(where: { $0.name == line.name }) {
                view.lines[index].left_to_right = forward
                view.lines[index].right_to_left = backward
            } else {
                view.lines.append(
                    .init(name: line.name, from: [], to: [], left_to_right: forward, right_to_left: backward))
            }
        }
    }

    /// Takes a zone or line event (from the events topic, or the embedded pipeline's results).
    public func ingestEvent(_ event: EventView) {
        state.withLock { state in
            state.events.append(event)
            if state.events.count > Self.eventCapacity {
                state.events.removeFirst(state.events.count - Self.eventCapacity)
            }
        }
    }

    /// An event message as received from the events topic; nil (and counted) when it is not one.
    public func ingestEvent(_ bytes: some Collection<UInt8>) -> EventView? {
        guard let message = ZoneEventMessage.decode(bytes), let name = message.name else {
            state.withLock { $0.invalidEvents += 1 }
            return nil
        }
        let event = EventView(
            stream: message.stream, run_id: message.run_id, event: message.event, name: name,
            track_id: message.track_id, class_name: message.class_name, direction: message.direction,
            duration_s: message.duration_s, frame_id: message.frame_id, timestamp_ms: message.timestamp_ms)
        ingestEvent(event)
        return event
    }

    /// A notification of the alerts topic; false (and counted with the invalid events) when it is not one.
    public func ingestAlert(_ bytes: some Collection<UInt8>) -> Bool {
        guard let notification = AlertNotification.decode(bytes) else {
            state.withLock { $0.invalidEvents += 1 }
            return false
        }
        state.withLock { state in
            // A notification read twice (the alerts process retried it) is shown once.
            guard !state.alerts.contains(where: { $0.id == notification.id }) else { return }
            if notification.state == .firing {
                state.firing[notification.instance] = notification
            } else if state.firing[notification.instance]?.started_at_ms == notification.started_at_ms {
                state.firing[notification.instance] = nil
            }
            state.alerts.append(notification)
            if state.alerts.count > Self.alertCapacity {
                state.alerts.removeFirst(state.alerts.count - Self.alertCapacity)
            }
        }
        return true
    }

    /// What fires now (oldest first) and the newest `limit` notifications (newest first).
    public func alerts(limit: Int) -> AlertsView {
        state.withLock { state in
            AlertsView(
                firing: state.firing.values.sorted {
                    ($0.started_at_ms, $0.instance) < ($1.started_at_ms, $1.instance)
                },
                recent: Array(state.alerts.reversed().prefix(max(0, limit))))
        }
    }

    /// The newest events first, at most `limit`, optionally of one stream and one type.
    public func recentEvents(limit: Int, stream: String? = nil, type: String? = nil) -> [EventView] {
        state.withLock { state in
            Array(
                state.events.reversed().lazy.filter { event in
                    (stream == nil || event.stream == stream) && (type == nil || event.event == type)
                }.prefix(max(0, limit)))
        }
    }

    /// Re-evaluates health and rates at `nowMs`; returns the views whose health or reason changed.
    /// `sourceReasons` (stream id → the source's error) explains streams that are not online, where known.
    public func refresh(nowMs: Int64, sourceReasons: [String: String] = [:]) -> [StreamView] {
        state.withLock { state in
            var changed: [StreamView] = []
            for (id, var entry) in state.entries {
                guard entry.view.messages > 0 else {
                    // Waiting for a first message: it stays waiting, with the source's reason when one is known.
                    let reason = sourceReasons[id] ?? "no message yet"
                    if reason != entry.view.reason {
                        entry.view.reason = reason
                        state.entries[id] = entry
                        changed.append(entry.view)
                    }
                    continue
                }
                let silence = nowMs - entry.view.last_seen_ms
                let health: StreamView.Health =
                    silence >= offlineAfterMs ? .offline : (silence >= staleAfterMs ? .stale : .online)
                entry.recent.removeAll { $0 < nowMs - Self.rateWindowMs }
                entry.view.rate = Self.rate(entry.recent, nowMs: nowMs)
                // The threshold passed rather than the running count: the reason changes with the state only.
                let threshold = health == .offline ? offlineAfterMs : staleAfterMs
                let silent = "no message for over \(Double(threshold) / 1000) s"
                let reason = health == .online ? nil : sourceReasons[id].map { "\(silent): \($0)" } ?? silent
                if health != entry.view.state || (health != .online && reason != entry.view.reason) {
                    entry.view.state = health
                    entry.view.reason = reason
                    changed.append(entry.view)
                }
                state.entries[id] = entry
            }
            return changed
        }
    }

    /// Every stream's view and thumbnail, ordered by id (numbers in ids compare numerically).
    public func snapshot() -> [(view: StreamView, thumbnail: ThumbnailView?)] {
        state.withLock { state in
            state.entries.values
                .sorted { $0.view.id.compare($1.view.id, options: .numeric) == .orderedAscending }
                .map { ($0.view, $0.thumbnail) }
        }
    }

    public func totals(nowMs: Int64) -> BoardTotals {
        state.withLock { state in
            var totals = BoardTotals(
                streams: state.entries.count, waiting: 0, online: 0, stale: 0, offline: 0, messages_per_second: 0,
                messages: state.messages, invalid: state.invalid, unknown_fields: state.unknownFields,
                outdated: state.outdated, time_ms: nowMs)
            for entry in state.entries.values {
                switch entry.view.state {
                case .waiting: totals.waiting += 1
                case .online: totals.online += 1
                case .stale: totals.stale += 1
                case .offline: totals.offline += 1
                }
                totals.messages_per_second += entry.view.rate
            }
            return totals
        }
    }

    /// Messages per second over the last `rateWindowMs`: the intervals between the messages received in the window,
    /// over the time from the oldest of them to now. A steady stream shows its true rate from its second message on
    /// (not a fraction of it while the window fills), and a stream that stops decays towards 0 as the silence grows.
    static func rate(_ recent: [Int64], nowMs: Int64) -> Double {
        let window = recent.filter { $0 >= nowMs - rateWindowMs }
        guard window.count >= 2, let oldest = window.first, nowMs > oldest else { return 0 }
        return Double(window.count - 1) / (Double(nowMs - oldest) / 1000)
    }
}
