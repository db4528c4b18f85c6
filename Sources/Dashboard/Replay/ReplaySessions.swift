import AnalyticsCore
import Foundation
import Kafka
import Logging
import Messages
import Metrics
import RuntimeSupport
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
    private let clock: ServiceClock
    /// Opens a session's consumer at the time asked.
    private let openConsumer: @Sendable (_ fromMs: Int64) throws(KafkaError) -> any MessageSource

    /// Sessions reading `configuration.kafka`'s topics back.
    public convenience init(configuration: ConsumerConfiguration, logger: Logger, clock: ServiceClock = .system) {
        self.init(configuration: configuration, logger: logger, clock: clock) { fromMs throws(KafkaError) in
            try ReplaySession.consumer(configuration: configuration, fromMs: fromMs, clock: clock, logger: logger)
        }
    }

    /// Sessions that read what `openConsumer` gives (the in-process tests' scripted consumers).
    public init(
        configuration: ConsumerConfiguration, logger: Logger, clock: ServiceClock,
        openConsumer: @escaping @Sendable (_ fromMs: Int64) throws(KafkaError) -> any MessageSource
    ) {
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        self.openConsumer = openConsumer
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
    /// connection ends. The sessions play in `run()`, a child of the connection's task group.
    final class Connection: Sendable {
        private let sessions: ReplaySessions
        private let queue: ClientQueue
        private let hub: WebSocketHub
        private let current = Mutex<ReplaySession?>(nil)
        private let opened: AsyncStream<ReplaySession>
        private let open: AsyncStream<ReplaySession>.Continuation

        init(sessions: ReplaySessions, queue: ClientQueue, hub: WebSocketHub) {
            self.sessions = sessions
            self.queue = queue
            self.hub = hub
            // Only the newest session matters: one is opened only after the one before it was closed (which freed its
            // consumer), so a session replaced before `run()` took it is dropped unplayed.
            (opened, open) = AsyncStream.makeStream(of: ReplaySession.self, bufferingPolicy: .bufferingNewest(1))
        }

        /// Plays each session opened, one after the other (a new one closes the one before), until the connection
        /// ends or the task is cancelled.
        func run() async {
            for await session in opened {
                // A close (the client went live, asked for another time, or left) ends the session's run at once.
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await session.run() }
                    group.addTask { await session.closed.wait() }
                    await group.next()
                    group.cancelAll()
                }
            }
        }

        func handle(_ request: Request) {
            if let from = request.from {
                start(from: from, speed: request.speed ?? 1)
                return
            }
            let session = current.withLock { $0 }
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
            let nowMs = sessions.clock.wallMilliseconds
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
            let configuration = sessions.configuration
            let idle = configuration.dashboard.replayIdleTimeoutSeconds
            do {
                session = ReplaySession(
                    configuration: configuration, consumer: try sessions.openConsumer(fromMs), fromMs: fromMs,
                    speed: speed, queue: queue, idleTimeoutSeconds: idle, clock: sessions.clock,
                    logger: sessions.logger)
            } catch {
                finished()
                return refuse("cannot read the topic back: \(error)")
            }
            queue.setReplaying(true)
            sessions.logger.info("replay session opened at \(text) (\(fromMs)), \(speed)x; \(sessions.count) open")
            current.withLock { $0 = session }
            open.yield(session)
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
                let session = current.withLock({ state in
                    defer { state = nil }
                    return state
                })
            else {
                return
            }
            session.close()
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

        /// The connection ended: frees the session's consumer and ends `run()`.
        func close() {
            end()
            open.finish()
        }
    }
}
