import Foundation

/// `alerts:` — the alerts process (`realtime-analytics alerts`): rules over the frames topic, and where their
/// notifications go (docs/alerts.md).
public struct AlertsConfiguration: Sendable, Equatable {
    /// Every notification is published here, keyed by its alert instance (the dashboard reads it).
    public var topic = "analytics.alerts"
    /// A notification a webhook or MQTT delivery gave up on, with the delivery's name and last error.
    public var deadLetterTopic = "analytics.alerts.dead-letter"
    /// The checkpoint: the rules' state and the frames topic's offsets, written once every notification before it is
    /// delivered or dead-lettered. Nil: `../var/alerts-state.json` beside the file.
    public var statePath: String
    /// Where reading starts when there is no checkpoint.
    public var startAtOldest = false
    /// Most notifications waiting for their deliveries before reading pauses (back-pressure, counted).
    public var maxPending = 10_000
    /// How often the rules' state is taken for a checkpoint.
    public var checkpointIntervalMilliseconds = 1000
    public var host = "127.0.0.1"
    public var port = 9466
    public var statusIntervalSeconds: Double = 5
    /// SIGTERM/SIGINT to exit at most: what is under way finishes within it, then the rest is cancelled (set it
    /// below the orchestrator's own, e.g. Kubernetes' terminationGracePeriodSeconds).
    public var shutdownGraceSeconds: Double = 10
    public var deliveries: [AlertDelivery] = []
    public var rules: [AlertRule] = []

    public init(baseDirectory: String = ".") {
        statePath =
            URL(fileURLWithPath: "../var/alerts-state.json", relativeTo: URL(fileURLWithPath: baseDirectory))
            .standardizedFileURL.path
    }

    public static let keys = [
        "topic", "dead_letter_topic", "state_path", "start_at", "max_pending", "checkpoint_interval_ms", "host", "port",
        "status_interval_s", "shutdown_grace_s", "deliveries", "rules",
    ]

    /// `streams`: the configured streams (their zones and lines are checked against the rules); empty: not checked.
    public init(
        _ section: YAMLSection, baseDirectory: String, streams: [StreamConfiguration]
    ) throws(ConfigurationError) {
        self.init(baseDirectory: baseDirectory)
        topic = try section.string("topic", default: topic)
        deadLetterTopic = try section.string("dead_letter_topic", default: deadLetterTopic)
        if let path = try section.optionalString("state_path") {
            statePath =
                URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: baseDirectory, isDirectory: true))
                .standardizedFileURL.path
        }
        let startAt = try section.string("start_at", default: "newest")
        guard startAt == "oldest" || startAt == "newest" else {
            throw section.error("start_at", "got '\(startAt)'; allowed: newest or oldest")
        }
        startAtOldest = startAt == "oldest"
        maxPending = try section.int("max_pending", default: maxPending, in: 1...1_000_000)
        checkpointIntervalMilliseconds = try section.int(
            "checkpoint_interval_ms", default: checkpointIntervalMilliseconds, in: 100...60_000, unit: " ms")
        host = try section.string("host", default: host)
        port = try section.int("port", default: port, in: 1...65535)
        statusIntervalSeconds = try section.double(
            "status_interval_s", default: statusIntervalSeconds, in: 0.5...3600, unit: " s")
        shutdownGraceSeconds = try section.double(
            "shutdown_grace_s", default: shutdownGraceSeconds, in: 2...600, unit: " s")
        for (node, path) in try section.sequence("deliveries") {
            let entry = try YAMLSection(node, path: path, file: section.file, allowedKeys: AlertDelivery.keys)
            let delivery = try AlertDelivery(entry)
            if let earlier = deliveries.firstIndex(where: { $0.name == delivery.name }) {
                throw entry.error(
                    "name", "'\(delivery.name)' is already used by alerts.deliveries[\(earlier)]; names must be unique")
            }
            deliveries.append(delivery)
        }
        for (node, path) in try section.sequence("rules") {
            let entry = try YAMLSection(node, path: path, file: section.file, allowedKeys: AlertRule.keys)
            let rule = try AlertRule(entry, deliveries: deliveries.map(\.name), streams: streams)
            if let earlier = rules.firstIndex(where: { $0.name == rule.name }) {
                throw entry.error(
                    "name", "'\(rule.name)' is already used by alerts.rules[\(earlier)]; rule names must be unique")
            }
            rules.append(rule)
        }
    }
}
