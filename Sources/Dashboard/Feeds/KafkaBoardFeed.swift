import AnalyticsCore
import Foundation
import Kafka
import Logging
import Messages
import Metrics
import RuntimeSupport
import ServiceLifecycle
import Synchronization

/// The dashboard process's input: a Kafka consumer-group member reading the analytics topic into the board.
public struct KafkaBoardFeed: Service {
    private let consumer: any MessageSource
    private let publisher: BoardPublisher
    private let logger: Logger
    private let clock: ServiceClock
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
        /// The time the last skip went to (ms), else 0. Anything stamped before it is the backlog being skipped and
        /// is passed over: what was handed to the reader before the seek, and what arrives while it runs (the
        /// broker's offsets-for-times lookup takes a moment; on Tansu long enough for a debug build to read 2,600
        /// backlog messages).
        let skippedBefore = Atomic<Int64>(0)
    }

    private let lagGauge = Gauge(label: "dashboard_consumer_lag_messages")

    public init(configuration: ConsumerConfiguration, publisher: BoardPublisher, logger: Logger) throws(KafkaError) {
        let properties = KafkaConsumer.properties(
            bootstrapServers: configuration.kafka.bootstrapServers, groupID: configuration.dashboard.groupID,
            startAtNewest: configuration.dashboard.startAtNewest, overrides: configuration.kafka.properties)
        let consumer = try KafkaConsumer(
            properties: properties,
            topics: [configuration.kafka.topic, configuration.kafka.eventsTopic, configuration.alerts.topic],
            clock: publisher.clock, logger: logger)
        self.init(configuration: configuration, consumer: consumer, publisher: publisher, logger: logger)
    }

    /// Reads `consumer` (the in-process tests give a scripted one) with the publisher's clock.
    public init(
        configuration: ConsumerConfiguration, consumer: any MessageSource, publisher: BoardPublisher, logger: Logger
    ) {
        self.consumer = consumer
        eventsTopic = configuration.kafka.eventsTopic
        alertsTopic = configuration.alerts.topic
        skipsBacklog = configuration.dashboard.startAtNewest
        self.publisher = publisher
        self.logger = logger
        clock = publisher.clock
        topic = configuration.kafka.topic
    }

    /// Moves the consumer to the last few seconds of every partition (a blocking broker lookup: on a thread of its
    /// own), so the board shows what is current within a moment instead of replaying the backlog at its own pace.
    private func skipBacklog(behindBy seconds: Int64, to timestampMs: Int64) async {
        let consumer = self.consumer, logger = self.logger, lag = consumer.lag
        await runOnDedicatedThread(named: "dashboard backlog seek") {
            do {
                let moved = try consumer.seek(toTimestampMs: timestampMs)
                logger.info(
                    "dashboard: the topic was \(seconds) s behind (\(lag.map { "\($0) messages" } ?? "lag unknown")); skipped to the last 3 s of \(moved) partitions instead of replaying the backlog"
                )
            } catch {
                logger.warning("dashboard: cannot skip the backlog: \(error); replaying it")
            }
        }
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

    /// Reads until the group shuts down (or the consumer ends), with the board's ticker, the lag sampler and any
    /// backlog skip as children; then leaves the group (at most 3 s: a process that exits first stays a member until
    /// its session times out, and a dashboard restarted in the group would get no partitions until then).
    public func run() async throws {
        let consumer = self.consumer
        let jumpCount = backlogJumps
        try await withThrowingDiscardingTaskGroup { children in
            children.addTask { await publisher.runTicks() }
            children.addTask { [lagGauge, publisher, clock] in
                while !Task.isCancelled {
                    let lag = consumer.lag
                    if let lag { lagGauge.record(lag) }
                    publisher.recordFeed(lag: lag, jumps: jumpCount.count.load(ordering: .relaxed))
                    try? await clock.sleep(for: .seconds(1))
                }
            }
            var backlog = BacklogPolicy()
            try await withTaskCancellationOrGracefulShutdownHandler {
                for try await message in consumer.messages {
                    let origin = "\(message.topic) partition \(message.partition) offset \(message.offset)"
                    let nowMs = clock.wallMilliseconds
                    if skipsBacklog, backlog.shouldSkip(messageTimestampMs: message.timestampMs, nowMs: nowMs),
                        let stamped = message.timestampMs
                    {
                        jumpCount.count.add(1, ordering: .relaxed)
                        jumps.increment()
                        jumpCount.skippedBefore.store(nowMs - 3000, ordering: .releasing)
                        children.addTask { await skipBacklog(behindBy: (nowMs - stamped) / 1000, to: nowMs - 3000) }
                    }
                    let skippedBefore = jumpCount.skippedBefore.load(ordering: .acquiring)
                    if skippedBefore > 0, let stamped = message.timestampMs, stamped < skippedBefore {
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
                consumer.finishReading()
            }
            children.cancelAll()
        }
        let leave = DedicatedThreads.process.start(named: "dashboard consumer close") { consumer.close() }
        if !(await leave.finished(within: .seconds(3), clock: clock)) {
            logger.warning("dashboard: leaving the consumer group took more than 3 s; exiting without waiting")
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
