/// What `/readyz` answers (both processes): ready or not, every reason it is not, and each stream's state. Sent
/// with HTTP 200 when ready, 503 when not, so that probes (systemd, Kubernetes) need only the status code and
/// operators read the body.
public struct ReadinessReport: Sendable, Encodable, Equatable {
    public struct Stream: Sendable, Encodable, Equatable {
        public var id: String
        /// `online`, `connecting`, `reconnecting`, `offline`, `ended` (the pipeline) or `waiting`, `online`, `stale`,
        /// `offline` (the dashboard).
        public var state: String
        /// Why it is not online, when known (the source's last error, or how long the bus has been silent).
        public var reason: String?

        public init(id: String, state: String, reason: String? = nil) {
            self.id = id
            self.state = state
            self.reason = reason
        }
    }

    /// `ready` or `not ready`.
    public var status: String
    /// One line per reason; empty when ready.
    public var problems: [String]
    public var streams: [Stream]
    /// Fleet mode: this instance's share (e.g. `fleet: member of realtime-analytics, 4 of 12 streams, …`); the
    /// streams above are the ones it runs.
    public var fleet: String?

    public init(problems: [String], streams: [Stream], fleet: String? = nil) {
        status = problems.isEmpty ? "ready" : "not ready"
        self.problems = problems
        self.streams = streams
        self.fleet = fleet
    }

    public var isReady: Bool { problems.isEmpty }
}
