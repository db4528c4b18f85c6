import AnalyticsCore
import Foundation

/// `output:` — local sinks besides Kafka.
public struct OutputConfiguration: Sendable, Equatable {
    /// Write every frame result as one JSON line.
    public var jsonlEnabled = false
    /// Where JSON lines go: a file path (relative to the config file's folder) or `-` for stdout.
    public var jsonlPath = "-"
    /// Results waiting to be written; when full, the newest result is dropped and counted.
    public var jsonlQueueCapacity = 4096

    public init() {}

    public static let keys = ["jsonl"]
    public static let jsonlKeys = ["enabled", "path", "queue_capacity"]

    public init(_ section: YAMLSection, baseDirectory: String) throws(ConfigurationError) {
        let jsonl = try section.section("jsonl", allowedKeys: Self.jsonlKeys)
        jsonlEnabled = try jsonl.bool("enabled", default: jsonlEnabled)
        let path = try jsonl.string("path", default: jsonlPath)
        jsonlPath =
            path == "-" || path.hasPrefix("/")
            ? path
            : URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: baseDirectory, isDirectory: true))
                .standardizedFileURL.path
        jsonlQueueCapacity = try jsonl.int("queue_capacity", default: jsonlQueueCapacity, in: 1...1_000_000)
    }
}
