import Foundation

/// `archive:` — the archive process (`realtime-analytics archive`) that writes the bus into a database, and where
/// `report` and the dashboard's History view read it.
public struct ArchiveConfiguration: Sendable, Equatable {
    /// `sqlite:/absolute/path` (a relative path in the file is resolved against the file's folder) or
    /// `postgres://…`; nil when the section does not set it (no archive).
    public var url: String?
    /// Where a new archive starts reading: the oldest messages the topics keep (everything), or only new ones.
    public var startAtOldest = true
    /// Also store every published track box (one row per track per analysed frame): large; off by default.
    public var observations = false
    /// A track not seen for this long (its stream's capture time) is marked ended, as is every track of an older
    /// run of its stream.
    public var trackEndSeconds: Double = 60
    /// Days each kind of row is kept, enforced by the archive itself.
    public var retentionDays = RetentionDays()
    /// Most messages written in one transaction, and how long a batch may wait to fill.
    public var batchMaxMessages = 5000
    public var batchMaxMilliseconds = 500
    /// The archive process's /metrics, /healthz and /readyz.
    public var host = "127.0.0.1"
    public var port = 9465
    /// Seconds between status lines on stderr.
    public var statusIntervalSeconds: Double = 5
    /// SIGTERM/SIGINT to exit at most: what is under way finishes within it, then the rest is cancelled (set it
    /// below the orchestrator's own, e.g. Kubernetes' terminationGracePeriodSeconds).
    public var shutdownGraceSeconds: Double = 10

    public struct RetentionDays: Sendable, Equatable {
        public var tracks = 90
        public var events = 90
        public var minutes = 730
        public var observations = 7
        public init() {}
        public static let keys = ["tracks", "events", "minutes", "observations"]
    }

    public init() {}

    public static let keys = [
        "url", "start_at", "observations", "track_end_s", "retention_days", "batch_max_messages",
        "batch_max_ms", "host", "port", "status_interval_s", "shutdown_grace_s",
    ]

    public init(_ section: YAMLSection, baseDirectory: String) throws(ConfigurationError) {
        if let text = try section.optionalString("url") {
            if text.hasPrefix("sqlite:") {
                let path = String(text.dropFirst("sqlite:".count))
                guard !path.isEmpty, !path.hasPrefix("//") else {
                    throw section.error(
                        "url", "got '\(text)'; allowed: sqlite:PATH (relative to this file) or postgres://user@host/db")
                }
                let absolute = URL(
                    fileURLWithPath: path, relativeTo: URL(fileURLWithPath: baseDirectory, isDirectory: true))
                url = "sqlite:" + absolute.standardizedFileURL.path
            } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
                url = text
            } else {
                throw section.error(
                    "url",
                    "got '\(text)'; allowed: sqlite:PATH (relative to this file, e.g. sqlite:../var/archive.sqlite) or postgres://user@host:5432/db"
                )
            }
        }
        let startAt = try section.string("start_at", default: "oldest")
        guard startAt == "oldest" || startAt == "newest" else {
            throw section.error("start_at", "got '\(startAt)'; allowed: oldest or newest")
        }
        startAtOldest = startAt == "oldest"
        observations = try section.bool("observations", default: observations)
        trackEndSeconds = try section.double("track_end_s", default: trackEndSeconds, in: 1...86400, unit: " s")
        let retention = try section.section("retention_days", allowedKeys: RetentionDays.keys)
        retentionDays.tracks = try retention.int("tracks", default: retentionDays.tracks, in: 1...36500, unit: " days")
        retentionDays.events = try retention.int("events", default: retentionDays.events, in: 1...36500, unit: " days")
        retentionDays.minutes = try retention.int(
            "minutes", default: retentionDays.minutes, in: 1...36500, unit: " days")
        retentionDays.observations = try retention.int(
            "observations", default: retentionDays.observations, in: 1...36500, unit: " days")
        batchMaxMessages = try section.int("batch_max_messages", default: batchMaxMessages, in: 1...100_000)
        batchMaxMilliseconds = try section.int(
            "batch_max_ms", default: batchMaxMilliseconds, in: 1...60_000, unit: " ms")
        host = try section.string("host", default: host)
        port = try section.int("port", default: port, in: 1...65535)
        statusIntervalSeconds = try section.double(
            "status_interval_s", default: statusIntervalSeconds, in: 0.5...3600, unit: " s")
        shutdownGraceSeconds = try section.double(
            "shutdown_grace_s", default: shutdownGraceSeconds, in: 2...600, unit: " s")
    }
}
