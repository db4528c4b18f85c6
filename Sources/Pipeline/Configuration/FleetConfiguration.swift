import AnalyticsCore

/// `fleet:` — several pipeline instances, started with the same file, share the streams through a Kafka consumer
/// group: each instance runs the streams whose partitions of `assignment_topic` the group assigns to it.
public struct FleetConfiguration: Sendable, Equatable {
    /// `partition.assignment.strategy` of the group.
    public enum Assignor: String, Sendable, CaseIterable {
        /// Incremental rebalancing: only the partitions that move are revoked (Apache Kafka, Redpanda, Tansu).
        case cooperativeSticky = "cooperative-sticky"
        /// Eager: works with every broker (noida-db, the other bundled test broker, handles only eager rebalances).
        case roundrobin
        case range
    }

    /// Off by default: one instance runs every configured stream.
    public var enabled = false
    /// The consumer group of the instances.
    public var group = "realtime-analytics"
    /// Created if missing, with `partitions` partitions; nothing is written to it.
    public var assignmentTopic = "analytics.fleet"
    /// Streams map to partitions by a stable hash of their id, so at most this many instances share work.
    public var partitions = 64
    /// Cooperative-sticky, from what was measured on Tansu with 12 streams (three runs): a fourth instance joining
    /// moved 3 streams (roundrobin: 9, each a new run with new track ids); a SIGKILLed instance's 3 streams were back
    /// after 7.9-9.9 s (roundrobin 8.8-10.8 s, and 6 more streams restarted), with no duplicate messages (roundrobin
    /// 4-6). Its cost: the moving streams are silent for its second rebalance round (5-8 s on a join, roundrobin
    /// under 1 s).
    public var assignor = Assignor.cooperativeSticky
    /// How long a member may be silent before the group gives its streams to the others (an instance that stops
    /// cleanly leaves at once).
    public var sessionTimeoutMs = 10_000

    public init() {}

    public static let keys = ["enabled", "group", "assignment_topic", "partitions", "assignor", "session_timeout_ms"]

    public init(_ section: YAMLSection) throws(ConfigurationError) {
        enabled = try section.bool("enabled", default: enabled)
        group = try section.string("group", default: group)
        assignmentTopic = try KafkaConfiguration.topicName(section, "assignment_topic", default: assignmentTopic)
        partitions = try section.int("partitions", default: partitions, in: 1...10_000)
        let assignorName = try section.string("assignor", default: assignor.rawValue)
        guard let assignor = Assignor(rawValue: assignorName) else {
            throw section.error(
                "assignor",
                "got '\(assignorName)'; allowed: \(Assignor.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.assignor = assignor
        // Kafka brokers accept 6-300 s by default (group.min/max.session.timeout.ms).
        sessionTimeoutMs = try section.int(
            "session_timeout_ms", default: sessionTimeoutMs, in: 1000...3_600_000, unit: " ms")
    }
}
