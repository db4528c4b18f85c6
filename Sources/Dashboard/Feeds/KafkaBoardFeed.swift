import AnalyticsCore
import Foundation
import Kafka
import Logging
import Messages
import Metrics
import ServiceLifecycle
import Synchronization

/// The dashboard process's input: a Kafka consumer-group member reading the analytics topic into the board.
public struct KafkaBoardFeed: Service {
    private let consumer: KafkaConsumer
    private let publisher: BoardPublisher
    private let logger: Logger
    private let topic: String
    private let eventsTopic: String
    /// The alerts process's notifications (firing alerts on the tiles and in the alerts panel).
    private let alertsTopic: String
    /// Live mode (`start_at: newest`): a backlog is skipped rather than replayed.
    private let skipsBacklog: Bool
    private let jumps = Counter(label: "dashboard_backlog_jumps_total")
    private let passedOver = Counter(label: "dashboard_backlog_skipped_messages_total")
    private let backlogJumps = JumpCount()

    private final class JumpCount: Sendable {
        let count = Atomic<Int>(0)
        /// While a skip's seek runs: the time it skips to (ms), else 0. The broker's offsets-for-times lookup takes
        /// a moment (on Tansu long enough for a debug build to read 2,600 backlog messages), and what arrives
        /// stamped before that time meanwhile is the backlog being skipped, not shown.
        let skippingTo = Atomic<Int64>(0)
    }

    /// Set once the consumer has left its group.
    private final class LeaveFlag: Sendable {
        private let value = Atomic<Bool>(false)
        func set() { value.store(true, ordering: .releasing) }
        var isSet: Bool { value.load(ordering: .acquiring) }
    }
    private let lagGauge = Gauge(label: "dashboard_consumer_lag_messages")

    public init(configuration: ConsumerConfiguration, publisher: BoardPublisher, logger: Logger) throws(KafkaError) {
        let properties = KafkaConsumer.properties(
            bootstrapServers: configuration.kafka.bootstrapServers, groupID: configuration.dashboard.groupID,
            startAtNewest: configuration.dashboard.startAtNewest, overrides: configuration.kafka.properties)
        consumer = try KafkaConsumer(
            properties: properties,
            topics: [configuration.kafka.topic, configuration.kafka.eventsTopic, configuration.alerts.topic],
            logger: logger)
        eventsTopic = configuration.kafka.eventsTopic
        alertsTopic = configuration.alerts.topic
        skipsBacklog = configuration.dashboard.startAtNewest
        self.publisher = publisher
        self.logger = logger
        topic = configuration.kafka.topic
    }

    /// Moves the consumer to the last few seconds of every partition (a blocking broker lookup: on a thread of its
    /// own), so the board shows what is current within a moment instead of replaying the backlog at its own pace.
    private func skipBacklog(behindBy seconds: Int64, to timestampMs: Int64) {
        let consumer = self.consumer, logger = self.logger, lag = consumer.lag, jumps = backlogJumps
        jumps.skippingTo.store(timestampMs, ordering: .releasing)
        Thread {
            defer { jumps.skippingTo.store(0, ordering: .releasing) }
            do {
                let moved = try consumer.seek(toTimestampMs: timestampMs)
                logger.info(
                    "dashboard: the topic was \(seconds) s behind (\(lag.map { "\($0) messages" } ?? "lag unknown")); skipped to the last 3 s of \(moved) partitions instead of replaying the backlog"
                )
            } catch {
                logger.warning("dashboard: cannot skip the backlog: \(error); replaying it")
            }
        }.start()
    }

    /// Ready when the cluster answers and the group gave this consumer partitions of the topic. The streams are
    /// listed with their state, but a silent camera does not make the dashboard unready: it still shows the truth.
    public func readiness() -> ReadinessReport {
        var problems: [String] = []
        if let problem = consumer.brokerStatus.problem { problems.append("kafka: \(problem)") }
        switch consumer.assignedPartitions {
        case let count? where count > 0: break
        case nil, 0?:
            problems.append("kafka: no partition of \(topic) is assigned to this consumer yet (joining the group)")
        default: break
        }
        let streams = publisher.board.snapshot().map {
            ReadinessReport.Stream(id: $0.view.id, state: $0.view.state.rawValue, reason: $0.view.reason)
        }
        return ReadinessReport(problems: problems, streams: streams)
    }

    public func run() async throws {
        let consumer = self.consumer
        let ticks = Task { await publisher.runTicks() }
        defer { ticks.cancel() }
        let jumpCount = backlogJumps
        let lagSampler = Task { [lagGauge, publisher] in
            while !Task.isCancelled {
                let lag = consumer.lag
                if let lag { lagGauge.record(lag) }
                publisher.recordFeed(lag: lag, jumps: jumpCount.count.load(ordering: .relaxed))
                try? await Task.sleep(for: .seconds(1))
            }
        }
        defer { lagSampler.cancel() }
        var backlog = BacklogPolicy()
        let closed = LeaveFlag()
        try await withTaskCancellationOrGracefulShutdownHandler {
            for try await message in consumer.messages {
                let origin = "\(message.topic) partition \(message.partition) offset \(message.offset)"
                let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
                if skipsBacklog, backlog.shouldSkip(messageTimestampMs: message.timestampMs, nowMs: nowMs),
                    let stamped = message.timestampMs
                {
                    jumpCount.count.add(1, ordering: .relaxed)
                    jumps.increment()
                    skipBacklog(behindBy: (nowMs - stamped) / 1000, to: nowMs - 3000)
                }
                let skippingTo = jumpCount.skippingTo.load(ordering: .acquiring)
                if skippingTo > 0, let stamped = message.timestampMs, stamped < skippingTo {
                    passedOver.increment()
                    continue
                }
                if message.topic == eventsTopic {
                    publisher.ingestEvent(message.value, origin: origin)
                } else if message.topic == alertsTopic {
                    publisher.ingestAlert(message.value, origin: origin)
                } else {
                    publisher.ingest(message.value, origin: origin)
                }
            }
        } onCancelOrGracefulShutdown: {
            // Leaving the group blocks for a moment: not on the cooperative pool.
            Thread {
                consumer.close()
                closed.set()
            }.start()
        }
        // Wait (a little) for the leave: a process that exits first stays a member until its session times out,
        // and a dashboard restarted in the group would get no partitions until then.
        let deadline = ContinuousClock.now.advanced(by: .seconds(3))
        while !closed.isSet && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// When the live board skips a backlog: a message stamped more than `behindMs` ago means the dashboard is replaying
/// old messages (it started late in its group, or fell behind), and replaying them only delays what is current.
/// At most one skip per `behindMs`, so the messages still in flight from before a skip do not cause another.
struct BacklogPolicy {
    var behindMs: Int64 = 10_000
    private var lastSkipMs: Int64?

    mutating func shouldSkip(messageTimestampMs: Int64?, nowMs: Int64) -> Bool {
        guard let stamped = messageTimestampMs, nowMs - stamped > behindMs else { return false }
        if let last = lastSkipMs, nowMs - last <= behindMs { return false }
        lastSkipMs = nowMs
        return true
    }
}
