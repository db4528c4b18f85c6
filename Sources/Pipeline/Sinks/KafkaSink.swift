import AnalyticsCore
import Foundation
import Kafka
import Logging
import Messages
import Metrics
import RuntimeSupport
import VideoFrames
import VideoIngest

/// Publishes every frame result as one message on `kafka.topic` (key = stream id), optionally with a JPEG preview.
///
/// Never blocks the frame path: librdkafka queues or refuses at once. When its local queue is full the preview is
/// dropped first (the message is retried without it), then the message; a message over `message.max.bytes` goes out
/// without its preview. Everything is counted: `produced = delivered + failed + dropped + in flight` (see
/// `DeliveryCounters`), and previews dropped by reason (`previewCounters`).
public final class KafkaSink: ResultSink {
    public let name = "kafka"
    public let producer: any MessageProducer
    public let composer: MessageComposer
    /// Bytes handed to librdkafka (keys and headers aside).
    private let queuedBytes = Counter(label: "kafka_queued_bytes_total")
    private let topic: String
    private let eventsTopic: String
    private let logger: Logger
    private let produceErrors = LogThrottle()
    static let headers: [(name: String, value: String)] = [
        ("content-type", "application/json"), ("schema-version", String(FrameMessageEncoder.schemaVersion)),
    ]

    /// The librdkafka properties for `configuration`: the product's defaults for live video analytics, the typed
    /// `kafka:` keys, then `kafka.properties` verbatim.
    public static func producerProperties(_ kafka: KafkaConfiguration) -> KafkaProperties {
        var properties = KafkaProperties([
            ("client.id", "realtime-analytics"),
            // Durable and ordered per stream without duplicates on retry.
            ("acks", "all"),
            ("enable.idempotence", "true"),
            // Cheap on CPU; JSON compresses well, JPEG previews pass through.
            ("compression.type", "lz4"),
            // A bounded local queue: ~2 minutes of 32 streams at 5 results/s, or 128 MB of previews.
            ("queue.buffering.max.messages", "20000"),
            ("queue.buffering.max.kbytes", "131072"),
            // Live data older than this is not worth delivering; it is counted as failed instead.
            ("message.timeout.ms", "30000"),
            // Back on the bus within a second of a broker's return: librdkafka's reconnect backoff doubles up to
            // 10 s by default, so a 10 s outage was followed by 1-9 s more without delivery (measured).
            ("reconnect.backoff.max.ms", "1000"),
        ])
        properties["bootstrap.servers"] = kafka.bootstrapServers
        properties["linger.ms"] = String(kafka.lingerMs)
        properties["batch.size"] = String(kafka.maxBatchSize)
        for (key, value) in kafka.properties { properties[key] = value }
        return properties
    }

    /// The sink with a librdkafka producer made from `configuration.kafka`.
    public convenience init(configuration: Configuration, logger: Logger) throws(KafkaError) {
        // Capture to broker acknowledgement, per message: the produce tag is the frame's capture time.
        let deliveryLatency = Timer(label: "pipeline_capture_to_delivery_seconds")
        let producer = try KafkaProducer(
            properties: Self.producerProperties(configuration.kafka), logger: logger,
            onDelivered: { captureUptimeNs in
                guard captureUptimeNs != 0 else { return }  // an event message: no frame latency to record
                deliveryLatency.recordNanoseconds(Int64(MonotonicClock.nowNanoseconds() &- captureUptimeNs))
            })
        self.init(configuration: configuration, producer: producer, logger: logger)
    }

    /// The sink over any producer (tests give it one that scripts each outcome).
    public init(configuration: Configuration, producer: any MessageProducer, logger: Logger) {
        self.producer = producer
        composer = MessageComposer(
            configuration: configuration, maximumMessageBytes: producer.maximumMessageBytes, logger: logger)
        topic = configuration.kafka.topic
        eventsTopic = configuration.kafka.eventsTopic
        self.logger = logger
        checkTopicInBackground()
    }

    /// A missing topic on a cluster that does not auto-create topics would otherwise only show as timed-out
    /// messages 30 s later; ask at start, off the frame path, for up to 10 s in 1-s requests, so that a close ends the
    /// check within a second (its thread is not left running at exit).
    private func checkTopicInBackground() {
        DedicatedThreads.process.start(named: "kafka topic check") { [producer, topic, logger, closing] in
            for _ in 0..<10 where !closing.isFired {
                switch producer.topicStatus(topic, waitingAtMost: 1) {
                case .exists: return
                case .missing:
                    logger.error(
                        "Kafka topic '\(topic)' does not exist on \(producer.bootstrapServers) and the cluster does not create topics automatically: create it (e.g. kafka-topics.sh --bootstrap-server \(producer.bootstrapServers) --create --topic \(topic)) or change kafka.topic"
                    )
                    return
                case .unknown: continue  // no answer within the second: ask again
                }
            }
        }
    }
    /// Fired by `close`: the topic check stops asking.
    private let closing = Signal()

    public var counters: SinkCounters {
        let delivery = producer.counters
        return SinkCounters(
            accepted: delivery.produced, written: delivery.delivered, failed: delivery.failed,
            dropped: delivery.droppedTotal)
    }

    /// The producer's own accounting (queue, drops by reason).
    public var kafkaDelivery: DeliveryCounters { producer.counters }
    /// What became of the previews.
    public var previewCounters: MessageComposer.PreviewCounters { composer.previewCounters }

    public var problems: [String] { producer.brokerStatus.problem.map { ["kafka: \($0)"] } ?? [] }

    public var summary: Logger.Metadata {
        let previews = previewCounters
        var entries: Logger.Metadata = [
            "kafka_previews":
                "\(previews.attached) attached, \(previews.droppedQueueFull) dropped (queue full), \(previews.droppedTooLarge) dropped (too large), \(previews.renderFailed) render failures"
        ]
        let drops = kafkaDelivery.dropped.map { "\($0.key.rawValue) \($0.value)" }.sorted()
        if !drops.isEmpty { entries["kafka_dropped"] = "\(drops.joined(separator: ", "))" }
        return entries
    }

    private let queueGauge = Gauge(label: "kafka_queue_messages")
    private let droppedGauges = DropReason.allCases.map {
        ($0, Gauge(label: "kafka_dropped_messages", dimensions: [("reason", $0.rawValue)]))
    }

    public func sampleMetrics() {
        let delivery = kafkaDelivery
        queueGauge.record(delivery.inFlight)
        for (reason, gauge) in droppedGauges { gauge.record(delivery.dropped[reason] ?? 0) }
    }

    public func publish(_ result: FrameResult, frame: Frame, withPreview: Bool) {
        composer.compose(result, frame: frame, withPreview: withPreview) { draft in
            var outcome = send(draft, key: result.streamID, captureUptimeNs: frame.captureUptimeNs)
            if outcome == .queueFull && draft.hasPreview {
                // Drop the preview first: the small message may still fit.
                composer.recordPreviewDroppedQueueFull()
                draft.dropPreview()
                outcome = send(draft, key: result.streamID, captureUptimeNs: frame.captureUptimeNs)
            }
            switch outcome {
            case .queued:
                if draft.hasPreview { composer.recordPreviewSent() }
            case .queueFull:
                producer.recordDropped(.queueFull)
            case .tooLarge:
                producer.recordDropped(.tooLarge)
            case .failed(let reason):
                producer.recordDropped(.other)
                produceErrors.record(
                    logger, .error,
                    "Kafka produce to '\(topic)' failed: \(reason); such messages are counted as dropped")
            }
        }
        if !result.events.isEmpty { publishEvents(of: result) }
    }

    /// Each zone or line event as a message of its own on `kafka.events_topic` (events are rare: a few per
    /// second at most, so an encoder per call is cheap).
    private func publishEvents(of result: FrameResult) {
        var encoder = FrameMessageEncoder(reservingCapacity: 512)
        for event in result.events {
            let bytes = encoder.encode(event, of: result)
            let outcome = bytes.withUnsafeBytes {
                producer.produce(topic: eventsTopic, key: result.streamID, value: $0, headers: Self.headers, tag: 0)
            }
            switch outcome {
            case .queued: queuedBytes.increment(by: Int64(bytes.count))
            case .queueFull: producer.recordDropped(.queueFull)
            case .tooLarge: producer.recordDropped(.tooLarge)
            case .failed(let reason):
                producer.recordDropped(.other)
                produceErrors.record(
                    logger, .error,
                    "Kafka produce to '\(eventsTopic)' failed: \(reason); such messages are counted as dropped")
            }
        }
    }

    private func send(_ draft: borrowing MessageComposer.Draft, key: String, captureUptimeNs: UInt64) -> ProduceOutcome
    {
        let outcome = draft.withBytes {
            producer.produce(topic: topic, key: key, value: $0, headers: Self.headers, tag: captureUptimeNs)
        }
        if outcome == .queued { queuedBytes.increment(by: Int64(draft.count)) }
        return outcome
    }

    public func close(waitingAtMost seconds: Double) {
        closing.fire()
        producer.close(waitingAtMost: seconds)
    }
}
