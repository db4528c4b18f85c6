import CRdKafka
import Foundation
import Logging
import RuntimeSupport
import Synchronization

/// The target of a producer's librdkafka callbacks (delivery reports, errors, logs), reached through the opaque
/// pointer: no Swift global state. It holds the producer's state (`ProducerStateMachine`: its client and counters)
/// under one lock, since delivery reports change the counters. Callbacks run on the producer's poll thread (delivery
/// reports, errors) or on librdkafka's internal threads (logs), so everything here is thread-safe.
final class ProducerEvents: ClientEvents, BrokerProbing, Sendable {
    let state = Mutex(ProducerStateMachine<ProducerClient>())
    /// Whether the cluster answers (from the client's statistics; outlives a replaced client).
    let brokerProbe = BrokerProbe()
    let logger: Logger
    let bootstrapServers: String
    /// "Cannot reach" once per outage; "delivering again" once deliveries succeed again.
    private let outage = OutageLog()
    /// Delivery failures, each error code at most once per 30 s.
    private let deliveryFailures: LogThrottle

    /// Called (on the poll thread) with the handle of a client that hit a fatal error.
    let onFatalError = Mutex<(@Sendable (OpaquePointer) -> Void)?>(nil)

    /// Told each acknowledged message's tag (see `KafkaProducer.init`).
    private let onDelivered: (@Sendable (UInt64) -> Void)?

    let clock: ServiceClock

    init(
        logger: Logger, bootstrapServers: String, onDelivered: (@Sendable (UInt64) -> Void)? = nil,
        clock: ServiceClock = .system
    ) {
        self.clock = clock
        self.logger = logger
        self.bootstrapServers = bootstrapServers
        self.onDelivered = onDelivered
        deliveryFailures = LogThrottle(every: 30, clock: clock)
    }

    func deliveryReport(_ message: UnsafePointer<rd_kafka_message_t>) {
        let error = message.pointee.err
        if error == RD_KAFKA_RESP_ERR_NO_ERROR {
            state.withLock { $0.delivered() }
            if let onDelivered, let tag = message.pointee._private { onDelivered(UInt64(UInt(bitPattern: tag))) }
            outage.ended(logger, "Kafka: delivering to \(bootstrapServers) again")
            return
        }
        state.withLock { $0.failed() }
        let topic = message.pointee.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
        logDeliveryFailure(error, topic: topic)
    }

    private func logDeliveryFailure(_ error: rd_kafka_resp_err_t, topic: String) {
        let key = String(error.rawValue)
        switch error {
        case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
            deliveryFailures.record(
                logger, key: key,
                "Kafka topic '\(topic)' does not exist on \(bootstrapServers) and the cluster does not create topics automatically: create it (e.g. kafka-topics.sh --create --topic \(topic)) or change kafka.topic"
            )
        case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
            deliveryFailures.record(
                logger, key: key,
                "Kafka rejected a message as too large for topic '\(topic)': lower preview.max_width or kafka.frame_quality, or raise the topic's max.message.bytes"
            )
        case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
            deliveryFailures.record(
                logger, .warning, key: key,
                "Kafka: messages timed out before \(bootstrapServers) acknowledged them (message.timeout.ms); they are counted as failed"
            )
        case RD_KAFKA_RESP_ERR__PURGE_QUEUE, RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
            break  // Shutdown purge after the flush timeout; the caller reports the totals.
        default:
            deliveryFailures.record(logger, key: key, "Kafka delivery to '\(topic)' failed: \(KafkaError.text(error))")
        }
    }

    func clientError(_ code: Int32, reason: String) {
        let error = rd_kafka_resp_err_t(rawValue: code)
        switch error {
        case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__RESOLVE:
            outage.began(
                logger,
                "Kafka: cannot reach \(bootstrapServers) (\(reason)); the pipeline keeps running and retries; messages wait in the local queue up to message.timeout.ms, then count as failed"
            )
        default:
            logger.error("Kafka client error: \(reason)")
        }
    }

    func fatalClientError(of handle: OpaquePointer, reason: String) {
        logger.error(
            "Kafka producer fatal error: \(reason); replacing the client (its queued messages count as failed)")
        onFatalError.withLock { $0 }?(handle)
    }
}
