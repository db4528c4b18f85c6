import CRdKafka
import Foundation
import Logging
import RuntimeSupport
import Synchronization

/// What became of one `produce` call.
public enum ProduceOutcome: Sendable, Equatable {
    /// In the local queue; the delivery report will count it as delivered or failed.
    case queued
    /// The local queue is full (messages or bytes).
    case queueFull
    /// Larger than `message.max.bytes`.
    case tooLarge
    /// Any other error; nothing was queued.
    case failed(String)
}

/// A librdkafka producer that owns its handle, serves delivery reports on a poll thread of its own, counts every
/// message's outcome (`counters`) and flushes with a timeout when closed.
///
/// `produce` never blocks: librdkafka copies the payload into its bounded local queue or refuses it at once.
public final class KafkaProducer: Sendable {
    private let properties: KafkaProperties
    private let events: ProducerEvents
    /// After a replacement could not be built, the next attempt waits this long.
    private static let replacementRetryNs: UInt64 = 5_000_000_000
    public let bootstrapServers: String
    /// librdkafka's `message.max.bytes` for this producer: larger messages are refused.
    public let maximumMessageBytes: Int

    /// `onDelivered` runs on the poll thread for every acknowledged message with the `tag` it was produced with
    /// (e.g. its capture time, for an end-to-end latency histogram); keep it short.
    public init(
        properties: KafkaProperties, logger: Logger, onDelivered: (@Sendable (_ tag: UInt64) -> Void)? = nil,
        clock: ServiceClock = .system
    ) throws(KafkaError) {
        self.properties = properties
        bootstrapServers = properties["bootstrap.servers"] ?? "localhost:9092"
        maximumMessageBytes = properties["message.max.bytes"].flatMap(Int.init) ?? 1_000_000
        events = ProducerEvents(
            logger: logger, bootstrapServers: bootstrapServers, onDelivered: onDelivered, clock: clock)
        let client = try ProducerClient(properties: properties, events: events)
        _ = events.state.withLock { $0.opened(client) }
        events.onFatalError.withLock { handler in
            handler = { [weak self] handle in self?.clientFailed(handle) }
        }
    }

    deinit {
        close(waitingAtMost: 0)
    }

    /// Whether a connection to a broker is up (from librdkafka's statistics, every second), for readiness checks.
    public var brokerStatus: BrokerProbe.Status { events.brokerProbe.status }

    /// Every message's outcome so far (a consistent snapshot).
    public var counters: DeliveryCounters { events.state.withLock { $0.counters } }

    /// Queues one message with `key` and up to two headers. Counts it as produced only when queued; the caller
    /// decides whether to retry (e.g. without its preview) or to give up with `recordDropped`.
    public func produce(
        topic: String, key: String, value: UnsafeRawBufferPointer, headers: [(name: String, value: String)] = [],
        tag: UInt64 = 0
    ) -> ProduceOutcome {
        precondition(headers.count <= 2, "at most two headers")
        let header1 = headers.first, header2 = headers.count > 1 ? headers[1] : nil
        var fatal: OpaquePointer?
        let outcome: ProduceOutcome = events.state.withLock { state in
            // Counting inside the state's lock keeps `produced == delivered + failed + dropped + inFlight` exact in
            // every snapshot; rd_kafka_produceva neither blocks nor calls back.
            guard let client = state.client else { return .failed("the producer is closed") }
            let error = topic.withCString { topicPointer in
                key.withCString { keyPointer in
                    withOptionalHeader(header1) { name1, value1, length1 in
                        withOptionalHeader(header2) { name2, value2, length2 in
                            ra_kafka_produce(
                                client.handle, topicPointer, keyPointer, strlen(keyPointer), value.baseAddress,
                                value.count, name1, value1, length1, name2, value2, length2,
                                UnsafeMutableRawPointer(bitPattern: UInt(tag)))
                        }
                    }
                }
            }
            switch error {
            case RD_KAFKA_RESP_ERR_NO_ERROR:
                state.queued()
                return .queued
            case RD_KAFKA_RESP_ERR__QUEUE_FULL:
                return .queueFull
            case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
                return .tooLarge
            case RD_KAFKA_RESP_ERR__FATAL:
                fatal = client.handle
                return .failed("the producer hit a fatal error and is being replaced")
            default:
                return .failed(KafkaError.text(error))
            }
        }
        if let fatal { clientFailed(fatal) }
        return outcome
    }

    /// Counts a message the caller gave up on without queueing it.
    public func recordDropped(_ reason: DropReason) {
        events.state.withLock { $0.dropped(reason) }
    }

    /// Waits up to `seconds` for every queued message's delivery report. Returns true when nothing is left.
    /// Blocking: call off the cooperative pool.
    @discardableResult
    public func flush(waitingAtMost seconds: Double) -> Bool {
        guard let client = events.state.withLock({ $0.client }) else { return true }
        return rd_kafka_flush(client.handle, Int32(max(0, seconds) * 1000)) == RD_KAFKA_RESP_ERR_NO_ERROR
    }

    /// Flushes for up to `seconds`, then purges what is left (each purged message is counted as failed), stops the
    /// poll thread and destroys the handle. Idempotent. Blocking: call off the cooperative pool.
    public func close(waitingAtMost seconds: Double) {
        let client = events.state.withLock { $0.close() }
        client?.shutDown(waitingAtMost: seconds) { counters.inFlight }
    }

    /// Fabricates a fatal error in the current client (librdkafka's test hook), as an idempotent producer meets when
    /// its broker lost its state; for tests of the recovery. False when closed.
    func injectFatalError(_ reason: String) -> Bool {
        guard let client = events.state.withLock({ $0.client }) else { return false }
        return rd_kafka_test_fatal_error(client.handle, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, reason)
            == RD_KAFKA_RESP_ERR_NO_ERROR
    }

    /// After a fatal error the librdkafka handle accepts nothing more: the state machine decides whether to replace
    /// it (once, and only the current client), and the replacement is built on a thread of its own (the error
    /// arrives on the poll thread, which the failed client must stop).
    private func clientFailed(_ handle: OpaquePointer) {
        let now = events.clock.uptimeNanoseconds
        let action = events.state.withLock { $0.fatalError(reportedBy: { $0.handle == handle }, nowNs: now) }
        guard case .replace = action else { return }
        DedicatedThreads.process.start(named: "kafka producer recovery") { [self] in replaceFailedClient() }
    }

    private func replaceFailedClient() {
        let replacement: ProducerClient
        do {
            replacement = try ProducerClient(properties: properties, events: events)
        } catch {
            let now = events.clock.uptimeNanoseconds
            events.state.withLock { $0.replacementFailed(nowNs: now, retryAfterNs: Self.replacementRetryNs) }
            events.logger.error(
                "Kafka: cannot replace the failed producer: \(error); its messages count as failed, next attempt in 5 s"
            )
            return
        }
        switch events.state.withLock({ $0.replacementBuilt(replacement) }) {
        case .retire(let failed):
            failed.shutDown(waitingAtMost: 0) { counters.inFlight }
            events.logger.info("Kafka: producer replaced after a fatal error; delivering again")
        case .discard:
            replacement.shutDown(waitingAtMost: 0) { 0 }
        }
    }
}

/// Calls `body` with a C header name, value and length, or three nils/0 when there is no header.
private func withOptionalHeader<T>(
    _ header: (name: String, value: String)?,
    _ body: (UnsafePointer<CChar>?, UnsafeRawPointer?, Int) -> T
) -> T {
    guard let header else { return body(nil, nil, 0) }
    return header.name.withCString { name in
        header.value.withCString { value in body(name, UnsafeRawPointer(value), strlen(value)) }
    }
}

/// Whether a topic exists on the cluster, as far as a metadata request can tell.
public enum TopicStatus: Sendable, Equatable {
    case exists(partitions: Int)
    /// The cluster answered that the topic does not exist (and did not create it).
    case missing
    /// No answer (e.g. broker unreachable) or another error.
    case unknown(String)
}

extension KafkaProducer {
    /// Asks the cluster about `topic` (creating it when the cluster auto-creates topics). Blocking for up to
    /// `seconds`: call off the cooperative pool. Holding `client` keeps its handle alive even if the producer is
    /// closed meanwhile.
    public func topicStatus(_ topic: String, waitingAtMost seconds: Double) -> TopicStatus {
        guard let client = events.state.withLock({ $0.client }) else { return .unknown("the producer is closed") }
        let handle = client.handle
        guard let topicHandle = rd_kafka_topic_new(handle, topic, nil) else {
            return .unknown("cannot create a topic handle")
        }
        defer { rd_kafka_topic_destroy(topicHandle) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let error = rd_kafka_metadata(handle, 0, topicHandle, &metadata, Int32(seconds * 1000))
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { return .unknown(KafkaError.text(error)) }
        defer { rd_kafka_metadata_destroy(metadata) }
        for index in 0..<Int(metadata.pointee.topic_cnt) {
            let entry = metadata.pointee.topics[index]
            guard String(cString: entry.topic) == topic else { continue }
            switch entry.err {
            case RD_KAFKA_RESP_ERR_NO_ERROR: return .exists(partitions: Int(entry.partition_cnt))
            case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART: return .missing
            default: return .unknown(KafkaError.text(entry.err))
            }
        }
        return .missing
    }
}
