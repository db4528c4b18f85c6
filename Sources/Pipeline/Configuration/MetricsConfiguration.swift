import AnalyticsCore

/// `metrics:` — the pipeline's Prometheus endpoint (`GET /metrics`). With `dashboard.enabled` the embedded dashboard
/// serves the same registry at its own /metrics too.
public struct MetricsConfiguration: Sendable, Equatable {
    public var enabled = false
    /// Address to bind; loopback unless a scraper on another machine needs it.
    public var host = "127.0.0.1"
    public var port = 9464

    public init() {}

    public static let keys = ["enabled", "host", "port"]

    public init(_ section: YAMLSection) throws(ConfigurationError) {
        enabled = try section.bool("enabled", default: enabled)
        host = try section.string("host", default: host)
        port = try section.int("port", default: port, in: 1...65535)
    }
}
