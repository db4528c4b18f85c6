/// `dashboard:` — the web dashboard, in its own process or embedded in the pipeline.
public struct DashboardConfiguration: Sendable, Equatable {
    /// Serve the dashboard from inside the pipeline process (no Kafka needed).
    public var enabled = false
    /// Address to bind; loopback unless the dashboard should be reachable from other machines.
    public var host = "127.0.0.1"
    /// TCP port of the dashboard.
    public var port = 8080
    /// When set, required on every HTTP request (except /healthz) and WebSocket, as `Authorization: Bearer TOKEN`
    /// or `?token=TOKEN`.
    public var accessToken: String?
    /// Kafka consumer group of the dashboard process (instances in one group share the partitions).
    public var groupID = "realtime-analytics-dashboard"
    /// Where a new consumer group starts: the newest messages (live view) or the oldest the broker keeps.
    public var startAtNewest = true
    /// A stream with no message for this long is shown as stale.
    public var staleAfterSeconds: Double = 3
    /// A stream with no message for this long is shown as offline.
    public var offlineAfterSeconds: Double = 15
    /// Replay sessions (one per browser looking back) open at once; each holds a Kafka consumer and a board.
    public var replayMaxSessions = 4
    /// A replay paused for this long is closed (its consumer freed).
    public var replayIdleTimeoutSeconds: Double = 600
    /// SIGTERM/SIGINT to exit at most: what is under way finishes within it, then the rest is cancelled (set it
    /// below the orchestrator's own, e.g. Kubernetes' terminationGracePeriodSeconds).
    public var shutdownGraceSeconds: Double = 5

    public init() {}

    public static let keys = [
        "enabled", "host", "port", "access_token", "group_id", "start_at", "stale_after_s", "offline_after_s",
        "replay_max_sessions", "replay_idle_timeout_s", "shutdown_grace_s",
    ]

    public init(_ section: YAMLSection) throws(ConfigurationError) {
        enabled = try section.bool("enabled", default: enabled)
        host = try section.string("host", default: host)
        port = try section.int("port", default: port, in: 1...65535)
        accessToken = try section.optionalString("access_token")
        groupID = try section.string("group_id", default: groupID)
        let startAt = try section.string("start_at", default: "newest")
        guard startAt == "newest" || startAt == "oldest" else {
            throw section.error("start_at", "got '\(startAt)'; allowed: newest or oldest")
        }
        startAtNewest = startAt == "newest"
        staleAfterSeconds = try section.double("stale_after_s", default: staleAfterSeconds, in: 0.1...3600, unit: " s")
        offlineAfterSeconds = try section.double(
            "offline_after_s", default: offlineAfterSeconds, in: 0.1...86400, unit: " s")
        replayMaxSessions = try section.int("replay_max_sessions", default: replayMaxSessions, in: 0...64)
        replayIdleTimeoutSeconds = try section.double(
            "replay_idle_timeout_s", default: replayIdleTimeoutSeconds, in: 1...86400, unit: " s")
        shutdownGraceSeconds = try section.double(
            "shutdown_grace_s", default: shutdownGraceSeconds, in: 2...600, unit: " s")
        guard offlineAfterSeconds > staleAfterSeconds else {
            throw section.error(
                "offline_after_s", "got \(offlineAfterSeconds); allowed: more than stale_after_s (\(staleAfterSeconds))"
            )
        }
    }
}
