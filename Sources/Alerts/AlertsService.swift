import Alerting
import AnalyticsCore
import AsyncHTTPClient
import Foundation
import Kafka
import Logging
import Messages
import RuntimeSupport
import ServiceLifecycle
import Synchronization

/// `realtime-analytics alerts`: reads every partition of the frames topic, evaluates the rules (`AlertEvaluator`)
/// and delivers each notification to the alerts topic and the rule's webhooks and MQTT brokers
/// (`NotificationDispatcher`, a `DeliveryWorker` per lane of each delivery). The rules' state and the offsets are checkpointed
/// to `alerts.state_path` once every notification before them is delivered or dead-lettered; a restart resumes from
/// the checkpoint and decides the notifications after it again, with the same ids (docs/alerts.md).
///
/// Like the archive, it assigns the partitions itself instead of joining a consumer group: the checkpoint, not a
/// group coordinator, says where reading goes on.
public struct AlertsService<C: Clock>: Service where C.Duration == Duration {
    public let status = AlertsStatus()
    private let configuration: ConsumerConfiguration
    private let clock: C
    private let wallClockMs: @Sendable () -> Int64
    private let logger: Logger
    private let readerIdle = ReaderIdle()

    public init(
        configuration: ConsumerConfiguration, clock: C,
        wallClockMs: @escaping @Sendable () -> Int64 = MonotonicClock.wallMilliseconds, logger: Logger
    ) {
        self.configuration = configuration
        self.clock = clock
        self.wallClockMs = wallClockMs
        self.logger = logger
    }

    private var alerts: AlertsConfiguration { configuration.alerts }
    private var kafka: KafkaConfiguration { configuration.kafka }

    public func run() async throws {
        let file = CheckpointFile(path: alerts.statePath)
        let checkpoint = try file.load()
        try Self.checkWritable(alerts.statePath)
        let ruleNames = Set(alerts.rules.map(\.name))
        let evaluator = AlertEvaluator(
            rules: alerts.rules, streams: configuration.streams,
            state: checkpoint.map { $0.state.keeping(rules: ruleNames) } ?? AlertEvaluatorState())
        if let checkpoint {
            logger.info(
                "alerts: resuming from the checkpoint of \(CaptureTime.iso8601(checkpoint.saved_at_ms)) (\(checkpoint.state.instances.count) pending or firing instances)"
            )
        }
        let producer: AcknowledgedProducer<C>
        do {
            producer = try AcknowledgedProducer(kafka: kafka, clock: clock, logger: logger)
        } catch {
            throw AlertsStopped(message: "cannot create the Kafka producer: \(error)")
        }
        let (targets, workers) = try makeWorkers(producer: producer)
        let dispatcher = NotificationDispatcher(deliveries: workers.count, maxPending: alerts.maxPending)
        let engine = AlertEngine(
            evaluator: evaluator, offsets: checkpoint?.offsets ?? [:], dispatcher: dispatcher, status: status)
        let checkpointer = Checkpointer(file: file, engine: engine, dispatcher: dispatcher, status: status)
        let consumer = try makeConsumer(resume: checkpoint?.offsets ?? [:])
        status.attach(consumer, targets: targets)
        logger.info(
            "alerts: \(alerts.rules.count) rules over \(kafka.topic) on \(kafka.bootstrapServers); notifications to \(alerts.topic)\(targets.count > 1 ? " and " + targets.dropFirst().map(\.name).joined(separator: ", ") : "")"
        )
        var failure: (any Error)?
        await withTaskCancellationOrGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { tickers in
                tickers.addTask { await reportStatus(dispatcher: dispatcher, engine: engine) }
                tickers.addTask { await checkSilence(engine: engine, consumer: consumer) }
                tickers.addTask { await takeCheckpoints(checkpointer) }
                await withTaskGroup(of: Void.self) { deliveries in
                    for worker in workers {
                        deliveries.addTask {
                            await worker.run(dispatcher.queues[worker.index], dispatcher: dispatcher, status: status)
                        }
                    }
                    do {
                        try await consume(consumer, engine: engine, dispatcher: dispatcher)
                    } catch {
                        failure = error
                    }
                    // The queues end after what they hold; a worker in a retry stops at the shutdown.
                    dispatcher.finish()
                }
                tickers.cancelAll()
            }
            await checkpointer.checkpoint(nowMs: wallClockMs())
        } onCancelOrGracefulShutdown: {
            // Also on cancellation (another service of the group failed, e.g. the metrics port is taken): the
            // consumer's message sequence does not end by itself.
            consumer.finishReading()
        }
        await runOnDedicatedThread(named: "alerts consumer close") { consumer.close() }
        for target in targets { await target.close() }
        await producer.close()
        if let failure { throw failure }
    }

    /// The alerts topic first (every notification, retried until the broker takes it), then each configured delivery;
    /// one worker per lane of each (`concurrency`).
    private func makeWorkers(
        producer: AcknowledgedProducer<C>
    ) throws -> ([any NotificationTarget], [DeliveryWorker<C>]) {
        let alertsTopic = AlertsTopicTarget(topic: alerts.topic, producer: producer)
        var targets: [any NotificationTarget] = [alertsTopic]
        var workers: [DeliveryWorker<C>] = []
        let topicLanes = 8
        for lane in 0..<topicLanes {
            workers.append(
                DeliveryWorker(
                    index: workers.count, target: alertsTopic, rules: nil, lane: lane, lanes: topicLanes,
                    retries: .max, backoff: .milliseconds(500), maxBackoff: .seconds(10), deadLetters: nil,
                    clock: clock, wallClockMs: wallClockMs, logger: logger))
        }
        let deadLetters = DeadLetters(
            topic: alerts.deadLetterTopic, producer: producer, clock: clock, wallClockMs: wallClockMs, status: status,
            logger: logger)
        for delivery in alerts.deliveries {
            let users = Set(alerts.rules.filter { $0.deliveries.contains(delivery.name) }.map(\.name))
            guard !users.isEmpty else {
                logger.warning("alerts: no rule uses the delivery '\(delivery.name)'; it sends nothing")
                continue
            }
            let target: any NotificationTarget
            switch delivery.target {
            case .webhook(let webhook):
                target = WebhookTarget(name: delivery.name, webhook: webhook, client: HTTPClient.shared)
            case .mqtt(let mqtt):
                do {
                    target = MQTTTarget(
                        name: delivery.name, mqtt: mqtt,
                        connection: try MQTTConnection(configuration: mqtt, name: delivery.name, logger: logger),
                        clock: clock)
                } catch {
                    throw AlertsStopped(message: "delivery '\(delivery.name)': \(error)")
                }
            }
            targets.append(target)
            for lane in 0..<delivery.concurrency {
                workers.append(
                    DeliveryWorker(
                        index: workers.count, target: target, rules: users, lane: lane, lanes: delivery.concurrency,
                        retries: delivery.retries, backoff: .milliseconds(delivery.backoffMilliseconds),
                        maxBackoff: .milliseconds(delivery.maxBackoffMilliseconds), deadLetters: deadLetters,
                        clock: clock, wallClockMs: wallClockMs, logger: logger))
            }
        }
        return (targets, workers)
    }

    private func makeConsumer(resume: [String: Int64]) throws -> KafkaConsumer {
        // The group is never joined: the checkpoint holds the offsets.
        let properties = KafkaConsumer.properties(
            bootstrapServers: kafka.bootstrapServers, groupID: "realtime-analytics-alerts",
            startAtNewest: !alerts.startAtOldest,
            overrides: [("client.id", "realtime-analytics-alerts")] + kafka.properties)
        do {
            return try KafkaConsumer(
                properties: properties, topics: [kafka.topic], start: .everyPartition, bufferCapacity: 1024,
                resumeOffsets: { partitions in
                    var offsets: [TopicPartition: Int64] = [:]
                    for partition in partitions {
                        if let offset = resume[
                            AlertCheckpoint.key(topic: partition.topic, partition: partition.partition)]
                        {
                            offsets[partition] = offset
                        }
                    }
                    return offsets
                }, logger: logger)
        } catch {
            throw AlertsStopped(message: "cannot create the Kafka consumer: \(error)")
        }
    }

    private func consume(
        _ consumer: KafkaConsumer, engine: AlertEngine, dispatcher: NotificationDispatcher
    ) async throws {
        var iterator = consumer.messages.makeAsyncIterator()
        let malformedLog = LogThrottle(every: 30)
        while true {
            readerIdle.flag.store(true, ordering: .releasing)
            guard let message = try await iterator.next() else { break }
            readerIdle.flag.store(false, ordering: .releasing)
            guard message.topic == kafka.topic else { continue }
            do {
                let decoded = try FrameMessageDecoder.decode(message.value)
                status.frame()
                engine.observe(
                    decoded.result, topic: message.topic, partition: message.partition, offset: message.offset)
            } catch {
                status.malformed()
                malformedLog.record(
                    logger, .warning,
                    "alerts: passed over \(message.topic)/\(message.partition)@\(message.offset), not a frame message: \(error.description)"
                )
                engine.passOver(topic: message.topic, partition: message.partition, offset: message.offset)
            }
            if await dispatcher.waitForRoom() { status.waitedForRoom() }
        }
    }

    /// `stream_down` against the wall clock, once a second, only while the reader has read everything fetched and the
    /// broker holds at most a few messages more (a backlog would look like silence; what it holds decides the same
    /// notifications when it is read). At live rates the lag flickers between 0 and a message or two.
    private func checkSilence(engine: AlertEngine, consumer: KafkaConsumer) async {
        guard alerts.rules.contains(where: { $0.kind == .streamDown }) else { return }
        while !Task.isCancelled {
            do { try await clock.sleep(for: .seconds(1)) } catch { return }
            guard readerIdle.flag.load(ordering: .acquiring), let lag = consumer.lag, lag <= 5 else { continue }
            engine.checkSilence(nowMs: wallClockMs())
        }
    }

    private func takeCheckpoints(_ checkpointer: Checkpointer) async {
        let interval = Duration.milliseconds(alerts.checkpointIntervalMilliseconds)
        while !Task.isCancelled {
            do { try await clock.sleep(for: interval) } catch { return }
            await checkpointer.checkpoint(nowMs: wallClockMs())
        }
    }

    private func reportStatus(dispatcher: NotificationDispatcher, engine: AlertEngine) async {
        let interval = Duration.milliseconds(Int64(alerts.statusIntervalSeconds * 1000))
        while !Task.isCancelled {
            do { try await clock.sleep(for: interval) } catch { return }
            let line = status.statusLine(
                intervalSeconds: alerts.statusIntervalSeconds, pending: dispatcher.pending,
                firing: engine.firingCount, nowMs: wallClockMs())
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    /// The checkpoint's folder must exist or be creatable, and be writable: found at start, not a minute in.
    private static func checkWritable(_ path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw AlertsStopped(
                message:
                    "cannot create \(folder) for alerts.state_path (\(error.localizedDescription)); choose a writable path"
            )
        }
        guard access(folder, W_OK) == 0 else {
            throw AlertsStopped(
                message: "\(folder) (alerts.state_path's folder) is not writable; choose a writable path")
        }
    }
}

extension AlertEvaluatorState {
    /// Without the state of rules that are no longer configured.
    func keeping(rules: Set<String>) -> AlertEvaluatorState {
        var state = self
        state.instances = state.instances.filter { key, _ in rules.contains(String(key.prefix { $0 != "/" })) }
        for (stream, var entry) in state.streams {
            entry.crossings = entry.crossings.filter { rules.contains($0.key) }
            entry.visits = entry.visits.filter { rules.contains($0.key) }
            state.streams[stream] = entry
        }
        return state
    }
}

/// Whether the reading loop waits for the next message (everything fetched is read).
final class ReaderIdle: Sendable {
    let flag = Atomic<Bool>(false)
}
