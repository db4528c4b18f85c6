import AnalyticsCore
import Foundation
import Kafka
import Logging
import Preview
import Synchronization

/// Publishes every frame result as one message on `kafka.topic` (key = stream id), optionally with a JPEG preview.
///
/// Never blocks the frame path: librdkafka queues or refuses at once. When its local queue is full the preview is
/// dropped first (the message is retried without it), then the message; a message over `message.max.bytes` goes out
/// without its preview. Everything is counted: `produced = delivered + failed + dropped + in flight` (see
/// `DeliveryCounters`), and previews dropped by reason (`previewCounters`).
public final class KafkaSink: ResultSink {
    public let name = "kafka"
    public let producer: KafkaProducer
    private let topic: String
    private let includeFrames: [Bool]
    private let quality: Int
    private let previewMaxWidth: Int
    private let previewIntervalNs: UInt64
    private let lastPreviewNs: Mutex<[UInt64]>
    private let scratchPool = Mutex<[Scratch]>([])
    private let previews = Mutex(PreviewCounters())
    private let logger: Logger
    private let produceErrorLogged = Atomic<Bool>(false)
    static let headers: [(name: String, value: String)] = [
        ("content-type", "application/json"), ("schema-version", String(FrameMessageEncoder.schemaVersion)),
    ]

    /// Preview outcomes, for the status line and the shutdown summary.
    public struct PreviewCounters: Sendable, Equatable {
        /// Messages queued with their preview.
        public var attached = 0
        public var droppedQueueFull = 0
        public var droppedTooLarge = 0
        public var renderFailed = 0
    }

    /// An encoder and a preview renderer, owned by one worker at a time (taken from and returned to the pool).
    private final class Scratch: @unchecked Sendable {
        var encoder = FrameMessageEncoder(reservingCapacity: 64 * 1024)
        var renderer: PreviewRenderer?
    }

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
        ])
        properties["bootstrap.servers"] = kafka.bootstrapServers
        properties["linger.ms"] = String(kafka.lingerMs)
        properties["batch.size"] = String(kafka.maxBatchSize)
        for (key, value) in kafka.properties { properties[key] = value }
        return properties
    }

    public init(configuration: Configuration, logger: Logger) throws(KafkaError) {
        producer = try KafkaProducer(properties: Self.producerProperties(configuration.kafka), logger: logger)
        topic = configuration.kafka.topic
        includeFrames = configuration.streams.indices.map { configuration.includesFrames(streamIndex: $0) }
        quality = configuration.kafka.frameQuality
        previewMaxWidth = configuration.preview.maxWidth
        previewIntervalNs = UInt64(configuration.preview.minIntervalMs) * 1_000_000
        lastPreviewNs = Mutex(Array(repeating: 0, count: configuration.streams.count))
        self.logger = logger
        checkTopicInBackground()
    }

    /// A missing topic on a cluster that does not auto-create topics would otherwise only show as timed-out
    /// messages 30 s later; ask once at start, off the frame path.
    private func checkTopicInBackground() {
        let thread = Thread { [producer, topic, logger] in
            if producer.topicStatus(topic, waitingAtMost: 10) == .missing {
                logger.error(
                    "Kafka topic '\(topic)' does not exist on \(producer.bootstrapServers) and the cluster does not create topics automatically: create it (e.g. kafka-topics.sh --bootstrap-server \(producer.bootstrapServers) --create --topic \(topic)) or change kafka.topic")
            }
        }
        thread.name = "kafka topic check"
        thread.start()
    }

    public var counters: SinkCounters {
        let delivery = producer.counters
        return SinkCounters(
            accepted: delivery.produced, written: delivery.delivered, failed: delivery.failed,
            dropped: delivery.droppedTotal)
    }

    public var previewCounters: PreviewCounters { previews.withLock { $0 } }

    public func publish(_ result: FrameResult, frame: Frame) {
        let scratch = scratchPool.withLock { $0.popLast() } ?? Scratch()
        defer { scratchPool.withLock { $0.append(scratch) } }

        let jpeg = previewIfDue(frame: frame, tracks: result.tracks, scratch: scratch)
        var withPreview = jpeg != nil
        var message = scratch.encoder.encode(result, jpeg: jpeg)
        if withPreview && message.count > producer.maximumMessageBytes {
            previews.withLock { $0.droppedTooLarge += 1 }
            withPreview = false
            message = scratch.encoder.encode(result)
        }
        var outcome = send(message, key: result.streamID)
        if outcome == .queueFull && withPreview {
            // Drop the preview first: the small message may still fit.
            previews.withLock { $0.droppedQueueFull += 1 }
            withPreview = false
            message = scratch.encoder.encode(result)
            outcome = send(message, key: result.streamID)
        }
        switch outcome {
        case .queued:
            if withPreview { previews.withLock { $0.attached += 1 } }
        case .queueFull:
            producer.recordDropped(.queueFull)
        case .tooLarge:
            producer.recordDropped(.tooLarge)
        case .failed(let reason):
            producer.recordDropped(.other)
            if !produceErrorLogged.exchange(true, ordering: .relaxed) {
                logger.error("Kafka produce to '\(topic)' failed: \(reason); such messages are counted as dropped")
            }
        }
    }

    private func send(_ message: [UInt8], key: String) -> ProduceOutcome {
        message.withUnsafeBytes { producer.produce(topic: topic, key: key, value: $0, headers: Self.headers) }
    }

    /// Renders the frame's preview when the stream wants previews and its interval has passed.
    private func previewIfDue(frame: Frame, tracks: [Track], scratch: Scratch) -> UnsafeRawBufferPointer? {
        guard includeFrames[frame.streamIndex] else { return nil }
        let now = frame.captureUptimeNs
        let due = lastPreviewNs.withLock { last in
            guard previewIntervalNs == 0 || last[frame.streamIndex] == 0 || now >= last[frame.streamIndex] + previewIntervalNs
            else { return false }
            last[frame.streamIndex] = now
            return true
        }
        guard due else { return nil }
        do {
            if scratch.renderer == nil { scratch.renderer = try PreviewRenderer() }
            return try scratch.renderer!.render(frame.pixels, tracks: tracks, maxWidth: previewMaxWidth, quality: quality)
        } catch {
            let first = previews.withLock { counters in
                counters.renderFailed += 1
                return counters.renderFailed == 1
            }
            if first { logger.error("preview rendering failed: \(error); messages go out without previews") }
            return nil
        }
    }

    public func close(waitingAtMost seconds: Double) {
        producer.close(waitingAtMost: seconds)
    }
}
