import Foundation

/// One notification: an alert instance (rule × stream × zone or line) started firing, is still firing (a repeat) or
/// resolved. The JSON body of webhooks, MQTT messages and the alerts topic (docs/alert.schema.json).
///
/// `id` is the same whenever the same frames are evaluated again (after a restart from a checkpoint), so a receiver
/// that has seen an id has seen that notification: it is the webhook's `Idempotency-Key`.
public struct AlertNotification: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        case firing, resolved
    }

    public var schema_version = 1
    /// `<instance>/<started_at_ms>/firing`, `…/repeat-N` or `…/resolved`.
    public var id: String
    /// `<rule>/<stream>/<zone, line or ->`: the key on the alerts topic and the MQTT state's subject.
    public var instance: String
    public var rule: String
    /// The rule's type: occupancy, dwell, crossings, presence or stream_down.
    public var type: String
    public var stream: String
    public var zone: String?
    public var line: String?
    public var state: State
    /// 0 for the first firing notification, N for the Nth repeat (`repeat_s`), 0 for resolved.
    public var `repeat`: Int
    public var severity: String
    public var text: String
    /// What the rule measured when it decided: objects in the zone, objects that stayed, crossings in the window,
    /// or seconds of silence.
    public var value: Int
    /// When the instance started firing (capture time, ms since the epoch).
    public var started_at_ms: Int64
    /// When it resolved (the capture time of the frame that ended it); resolved only.
    public var ended_at_ms: Int64?
    /// The capture time of the frame that decided this notification (or the check's clock for stream_down).
    public var at_ms: Int64
    /// The frame that decided it; nil when a silence check did.
    public var frame_id: Int64?
    public var run_id: String?

    public init(
        id: String, instance: String, rule: String, type: String, stream: String, zone: String?, line: String?,
        state: State, repeat: Int, severity: String, text: String, value: Int, started_at_ms: Int64,
        ended_at_ms: Int64?, at_ms: Int64, frame_id: Int64?, run_id: String?
    ) {
        self.id = id
        self.instance = instance
        self.rule = rule
        self.type = type
        self.stream = stream
        self.zone = zone
        self.line = line
        self.state = state
        self.repeat = `repeat`
        self.severity = severity
        self.text = text
        self.value = value
        self.started_at_ms = started_at_ms
        self.ended_at_ms = ended_at_ms
        self.at_ms = at_ms
        self.frame_id = frame_id
        self.run_id = run_id
    }

    /// The JSON body (keys sorted: the bytes the webhook signature covers are the same for the same notification).
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? Array(encoder.encode(self))) ?? []
    }

    /// A notification in `bytes`, or nil when it is not one.
    public static func decode(_ bytes: some Collection<UInt8>) -> AlertNotification? {
        try? JSONDecoder().decode(AlertNotification.self, from: Data(bytes))
    }
}
