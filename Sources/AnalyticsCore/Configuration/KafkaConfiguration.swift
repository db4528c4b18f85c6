import Foundation

/// `kafka:` — the data bus every processed frame is published to.
public struct KafkaConfiguration: Sendable, Equatable {
    /// Publish results to Kafka. Off by default: the pipeline runs without any infrastructure.
    public var enabled = false
    /// Comma-separated `host:port` list of brokers used to bootstrap the cluster metadata.
    public var bootstrapServers = "localhost:9092"
    /// Topic every frame result is produced to (key = stream id).
    public var topic = "analytics.events"
    /// Topic the zone and line events go to, one message per event (key = stream id).
    public var eventsTopic = "analytics.zone-events"
    /// How long the producer waits to fill a batch (librdkafka `linger.ms`). Low values keep latency low.
    public var lingerMs = 10
    /// Upper bound of one batch in bytes (librdkafka `batch.size`).
    public var maxBatchSize = 16384
    /// Attach the frame with boxes drawn as a JPEG data URL (`frame_jpeg`). Streams may override it.
    public var includeFrames = false
    /// JPEG quality of previews, 1-100.
    public var frameQuality = 75
    /// Any other librdkafka property, passed through verbatim (e.g. SASL/TLS settings for production clusters);
    /// applied after the product's defaults, so it may override them.
    public var properties: [(key: String, value: String)] = []

    public static func == (lhs: KafkaConfiguration, rhs: KafkaConfiguration) -> Bool {
        lhs.enabled == rhs.enabled && lhs.bootstrapServers == rhs.bootstrapServers && lhs.topic == rhs.topic
            && lhs.eventsTopic == rhs.eventsTopic
            && lhs.lingerMs == rhs.lingerMs && lhs.maxBatchSize == rhs.maxBatchSize
            && lhs.includeFrames == rhs.includeFrames && lhs.frameQuality == rhs.frameQuality
            && lhs.properties.map { "\($0.key)=\($0.value)" } == rhs.properties.map { "\($0.key)=\($0.value)" }
    }

    public init() {}

    public static let keys = [
        "enabled", "bootstrap_servers", "topic", "linger_ms", "max_batch_size", "include_frames", "frame_quality",
        "properties", "events_topic",
    ]
    /// Properties the typed keys above own; setting them under `properties` would be ambiguous.
    static let reservedProperties = ["bootstrap.servers", "linger.ms", "queue.buffering.max.ms", "batch.size"]

    public init(_ section: YAMLSection) throws(ConfigurationError) {
        enabled = try section.bool("enabled", default: enabled)
        bootstrapServers = try section.string("bootstrap_servers", default: bootstrapServers)
        for server in bootstrapServers.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = server.trimmingCharacters(in: .whitespaces)
            guard let colon = trimmed.lastIndex(of: ":"), colon != trimmed.startIndex,
                let port = Int(trimmed[trimmed.index(after: colon)...]), (1...65535).contains(port)
            else {
                throw section.error(
                    "bootstrap_servers",
                    "got '\(bootstrapServers)'; allowed: a comma-separated list of host:port, e.g. localhost:9092")
            }
        }
        for key in ["topic", "events_topic"] {
            let name = try Self.topicName(section, key, default: key == "topic" ? topic : eventsTopic)
            if key == "topic" { topic = name } else { eventsTopic = name }
        }
        guard eventsTopic != topic else {
            throw section.error(
                "events_topic",
                "is the frame topic '\(topic)'; allowed: a topic of its own (events have another format)")
        }
        lingerMs = try section.int("linger_ms", default: lingerMs, in: 0...900_000, unit: " ms")
        maxBatchSize = try section.int("max_batch_size", default: maxBatchSize, in: 1...2_147_483_647, unit: " bytes")
        includeFrames = try section.bool("include_frames", default: includeFrames)
        frameQuality = try section.int("frame_quality", default: frameQuality, in: 1...100)
        properties = try section.scalarMapping("properties")
        for (key, _) in properties where Self.reservedProperties.contains(key) {
            throw section.error(
                "properties",
                "sets '\(key)', which a kafka key already controls; use bootstrap_servers, linger_ms or max_batch_size")
        }
    }

    /// A topic name under `key`: what Kafka accepts.
    public static func topicName(
        _ section: YAMLSection, _ key: String, default fallback: String
    ) throws(ConfigurationError)
        -> String
    {
        let name = try section.string(key, default: fallback)
        let legal = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
        guard legal, !name.isEmpty, name.utf8.count <= 249, name != ".", name != ".." else {
            throw section.error(key, "got '\(name)'; allowed: 1-249 characters of letters, digits, '.', '_' and '-'")
        }
        return name
    }
}
