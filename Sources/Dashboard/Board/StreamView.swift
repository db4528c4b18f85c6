import Messages
import Zones

/// How a stream looks on the board: its health and figures (without the thumbnail, which travels separately).
public struct StreamView: Sendable, Encodable, Equatable {
    public enum Health: String, Sendable, Encodable {
        /// Configured, but no message yet.
        case waiting
        /// Messages arrive.
        case online
        /// Nothing for `stale_after_s`.
        case stale
        /// Nothing for `offline_after_s`.
        case offline
    }

    public struct TrackView: Sendable, Encodable, Equatable {
        public var track_id: Int
        public var class_id: Int
        public var class_name: String?
        public var confidence: Float
        public var bbox_xyxy: [Float]
    }

    public var type = "stream"
    public var id: String
    /// The pipeline run its newest message came from (nil for producers without run ids).
    public var run_id: String?
    /// Fleet mode: the pipeline instance publishing the stream now.
    public var instance: String?
    /// How many times a new run replaced the one before on this board (pipeline restarts, fleet moves).
    public var restarts = 0
    public var state: Health
    /// Why it is not online: `no message yet` or `no message for N s`.
    public var reason: String?
    public var frame_id: Int64
    public var width: Int
    public var height: Int
    public var timestamp_ms: Int64
    /// Receipt time minus capture time of the newest message.
    public var latency_ms: Int64?
    /// Messages per second over the last few seconds.
    public var rate: Double
    /// Wall-clock time of the newest message's receipt.
    public var last_seen_ms: Int64
    public var messages: Int
    public var tracks: [TrackView]
    /// The stream's zones (from the config file, when the dashboard reads one) with who is in them now.
    public var zones: [ZoneView] = []
    /// The stream's counting lines with their crossings so far in this run.
    public var lines: [LineView] = []

    public struct ZoneView: Sendable, Encodable, Equatable {
        public var name: String
        /// Corners as [x, y] fractions of the frame; empty when only the messages name the zone.
        public var polygon: [[Double]]
        public var occupancy: [String: Int]
    }

    public struct LineView: Sendable, Encodable, Equatable {
        public var name: String
        public var from: [Double]
        public var to: [Double]
        public var left_to_right: [String: Int]
        public var right_to_left: [String: Int]
    }

    /// A stream with no message yet.
    public init(id: String) {
        self.id = id
        state = .waiting
        reason = "no message yet"
        frame_id = 0
        width = 0
        height = 0
        timestamp_ms = 0
        latency_ms = nil
        rate = 0
        last_seen_ms = 0
        messages = 0
        tracks = []
    }
}

/// The newest preview of a stream.
public struct ThumbnailView: Sendable, Encodable, Equatable {
    public var type = "thumbnail"
    public var id: String
    public var frame_id: Int64
    /// `data:image/jpeg;base64,…`
    public var data: String
}

/// A zone or line event, as the page and `/api/events` show it.
public struct EventView: Sendable, Encodable, Equatable {
    public var stream: String
    public var run_id: String?
    public var event: String
    /// The zone's or line's name.
    public var name: String
    public var track_id: Int
    public var class_name: String?
    public var direction: String?
    public var duration_s: Double?
    public var frame_id: Int64
    public var timestamp_ms: Int64
}

/// The newest events across all streams, newest first (what the page's event panel shows).
public struct EventsView: Sendable, Encodable, Equatable {
    public var type = "events"
    public var events: [EventView]
}

/// The alerts panel: what fires now (oldest first) and the newest notifications (newest first), from the alerts
/// topic.
public struct AlertsView: Sendable, Encodable, Equatable {
    public var type = "alerts"
    public var firing: [AlertNotification]
    public var recent: [AlertNotification]
}

/// Figures for the page header.
public struct BoardTotals: Sendable, Encodable, Equatable {
    public var type = "totals"
    public var streams: Int
    public var waiting: Int
    public var online: Int
    public var stale: Int
    public var offline: Int
    public var messages_per_second: Double
    public var messages: Int
    public var invalid: Int
    public var unknown_fields: Int
    /// Messages from an older run than their stream's current one, skipped.
    public var outdated: Int
    /// The Kafka-fed dashboard's consumer lag in messages (nil in embedded mode or before the first check).
    public var lag: Int? = nil
    /// Backlogs skipped to show what is current (the Kafka-fed dashboard, live mode).
    public var backlog_jumps = 0
    public var time_ms: Int64
}
