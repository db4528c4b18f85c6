import AnalyticsCore
import Foundation
import Logging
import Messages
import Metrics
import Synchronization

/// The dashboard's replay sessions: at most `dashboard.replay_max_sessions` at once (each holds a consumer, a board
/// and up to 32 fetched messages), each closed when its client leaves, goes back to live, or stays paused for
/// `dashboard.replay_idle_timeout_s`.
public final class ReplaySessions: Sendable {
    private let configuration: ConsumerConfiguration
    private let logger: Logger
    private let active = Atomic<Int>(0)
    private let gauge = Gauge(label: "dashboard_replay_sessions")
    private let refused = Counter(label: "dashboard_replay_refused_total")

    public init(configuration: ConsumerConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    public var count: Int { active.load(ordering: .relaxed) }

    /// What one WebSocket connection asks of replay (`{"replay": {…}}`).
    struct Request: Decodable {
        /// Start a session at this time (ISO 8601, `10m` ago, or ms since the epoch).
        var from: String?
        /// 1, 4 or 16.
        var speed: Double?
        /// `play`, `pause`, `step` or `live` (close the session, back to the live board).
        var control: String?
    }

    /// One connection's replay: at most one session at a time, swapped or closed on request and closed when the
    /// connection ends.
    final class Connection: Sendable {
        private let sessions: ReplaySessions
        private let queue: ClientQueue
        private let hub: WebSocketHub
        private let current = Mutex<(session: ReplaySession, task: Task<Void, Never>)?>(nil)

        init(sessions: ReplaySessions, queue: ClientQueue, hub: WebSocketHub) {
            self.sessions = sessions
            self.queue = queue
            self.hub = hub
        }

        func handle(_ request: Request) {
            if let from = request.from {
                start(from: from, speed: request.speed ?? 1)
                return
            }
            let session = current.withLock { $0?.session }
            switch request.control {
            case "play": session?.play(speed: request.speed.flatMap(Self.speed))
            case "pause": session?.pause()
            case "step": session?.step()
            case "live": backToLive()
            default:
                if let speed = request.speed.flatMap(Self.speed) { session?.play(speed: speed) }
            }
        }

        private static func speed(_ value: Double) -> Double? { ReplaySession.speeds.contains(value) ? value : nil }

        private func start(from text: String, speed: Double) {
            end()
            let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
            guard let fromMs = CaptureTime.milliseconds(text, nowMs: nowMs), fromMs < nowMs else {
                return refuse("'\(text)' is not a past time; use e.g. 2026-12-04T02:13:00Z or 10m")
            }
            guard let speed = Self.speed(speed) else { return refuse("speed \(speed); allowed: 1, 4 or 16") }
            let limit = sessions.configuration.dashboard.replayMaxSessions
            guard limit > 0 else { return refuse("replay is off here (dashboard.replay_max_sessions: 0)") }
            guard sessions.active.add(1, ordering: .relaxed).newValue <= limit else {
                sessions.active.subtract(1, ordering: .relaxed)
                sessions.refused.increment()
                return refuse(
                    "\(limit) replay sessions are open (dashboard.replay_max_sessions); try again when one closes")
            }
            sessions.gauge.record(sessions.count)
            let session: ReplaySession
            do {
                session = try ReplaySession(
                    configuration: sessions.configuration, fromMs: fromMs, speed: speed, queue: queue,
                    idleTimeoutSeconds: sessions.configuration.dashboard.replayIdleTimeoutSeconds,
                    logger: sessions.logger)
            } catch {
                finished()
                return refuse("cannot read the topic back: \(error)")
            }
            queue.setReplaying(true)
            sessions.logger.info("replay session opened at \(text) (\(fromMs)), \(speed)x; \(sessions.count) open")
            let task = Task { await session.run() }
            current.withLock { $0 = (session, task) }
        }

        private func refuse(_ reason: String) {
            let status = ReplaySession.Status(
                state: "failed", from_ms: 0, at_ms: 0, speed: 1, messages: 0, reason: reason)
            // Sent on the live queue, ahead of the live board: the client stays (or goes back) live.
            queue.setReplaying(false)
            queue.put(key: "replay", streamID: nil, payload: WebSocketHub.encode(status))
            hub.resend(to: queue)
        }

        private func finished() {
            sessions.active.subtract(1, ordering: .relaxed)
            sessions.gauge.record(sessions.count)
        }

        /// Closes the session, if any, without touching the queue's mode.
        private func end() {
            guard
                let (session, task) = current.withLock({ state in
                    defer { state = nil }
                    return state
                })
            else {
                return
            }
            session.close()
            task.cancel()
            finished()
        }

        func backToLive() {
            end()
            queue.setReplaying(false)
            // Ahead of the live board, so the page knows where the replay's last updates end.
            let status = ReplaySession.Status(state: "live", from_ms: 0, at_ms: 0, speed: 1, messages: 0)
            queue.put(key: "replay", streamID: nil, payload: WebSocketHub.encode(status))
            hub.resend(to: queue)
        }

        /// The connection ended: frees the session's consumer.
        func close() { end() }
    }
}
