import CRdKafka
import Foundation
import Logging
import RuntimeSupport
import Synchronization

/// The target of a producer's librdkafka callbacks (delivery reports, errors, logs), reached through the opaque
/// pointer: no Swift global state. Callbacks run on the producer's poll thread (delivery reports, errors) or on
/// librdkafka's internal threads (logs), so everything here is thread-safe.
final class ProducerEvents: BrokerProbing, Sendable {
    let ledger = DeliveryLedger()
    /// Whether the cluster answers (from the client's statistics; outlives a replaced client).
    let brokerProbe = BrokerProbe()
    let logger: Logger
    let bootstrapServers: String
    /// Set after "broker unreachable" was logged; cleared (with an info line) once deliveries succeed again.
    private let unreachableWarned = Atomic<Bool>(false)
    /// Last time each delivery error code was logged, and how many were not logged since.
    private let errorLog = Mutex<[Int32: (lastLoggedNs: UInt64, suppressed: Int)]>([:])
    private static let errorLogIntervalNs: UInt64 = 30_000_000_000

    /// Called (on the poll thread) when librdkafka reports a fatal error: the client must be replaced.
    let onFatalError = Mutex<(@Sendable () -> Void)?>(nil)

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
    }

    func deliveryReport(_ message: UnsafePointer<rd_kafka_message_t>) {
        let error = message.pointee.err
        if error == RD_KAFKA_RESP_ERR_NO_ERROR {
            ledger.withLock { $0.counters.delivered += 1 }
            if let onDelivered, let tag = message.pointee._private { onDelivered(UInt64(UInt(bitPattern: tag))) }
            if unreachableWarned.exchange(false, ordering: .relaxed) {
                logger.info("Kafka: delivering to \(bootstrapServers) again")
            }
            return
        }
        ledger.withLock { $0.counters.failed += 1 }
        let topic = message.pointee.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
        logDeliveryFailure(error, topic: topic)
    }

    private func logDeliveryFailure(_ error: rd_kafka_resp_err_t, topic: String) {
        let now = clock.uptimeNanoseconds
        let suppressed: Int? = errorLog.withLock { log in
            var entry = log[error.rawValue] ?? (0, 0)
            defer { log[error.rawValue] = entry }
            if entry.lastLoggedNs != 0 && now - entry.lastLoggedNs < Self.errorLogIntervalNs {
                entry.suppressed += 1
                return nil
            }
            let count = entry.suppressed
            entry = (now, 0)
            return count
        }
        guard let suppressed else { return }
        let more = suppressed > 0 ? " (\(suppressed) more like it since the last report)" : ""
        switch error {
        case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
            logger.error(
                "Kafka topic '\(topic)' does not exist on \(bootstrapServers) and the cluster does not create topics automatically: create it (e.g. kafka-topics.sh --create --topic \(topic)) or change kafka.topic\(more)"
            )
        case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
            logger.error(
                "Kafka rejected a message as too large for topic '\(topic)': lower preview.max_width or kafka.frame_quality, or raise the topic's max.message.bytes\(more)"
            )
        case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
            logger.warning(
                "Kafka: messages timed out before \(bootstrapServers) acknowledged them (message.timeout.ms); they are counted as failed\(more)"
            )
        case RD_KAFKA_RESP_ERR__PURGE_QUEUE, RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
            break  // Shutdown purge after the flush timeout; the caller reports the totals.
        default:
            logger.error("Kafka delivery to '\(topic)' failed: \(KafkaError.text(error))\(more)")
        }
    }

    func clientError(_ code: Int32, reason: String) {
        let error = rd_kafka_resp_err_t(rawValue: code)
        switch error {
        case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__RESOLVE:
            if !unreachableWarned.exchange(true, ordering: .relaxed) {
                logger.warning(
                    "Kafka: cannot reach \(bootstrapServers) (\(reason)); the pipeline keeps running and retries; messages wait in the local queue up to message.timeout.ms, then count as failed"
                )
            }
        case RD_KAFKA_RESP_ERR__FATAL:
            logger.error(
                "Kafka producer fatal error: \(reason); replacing the client (its queued messages count as failed)")
            onFatalError.withLock { $0 }?()
        default:
            logger.error("Kafka client error: \(reason)")
        }
    }

    func log(level: Int32, facility: String, message: String) {
        // librdkafka's syslog levels: 0-3 error, 4 warning, 5-6 info, 7 debug. Its connection-refused chatter is
        // covered by clientError's single warning, so it stays at debug.
        switch level {
        case ...3: logger.debug("librdkafka \(facility): \(message)")
        default: logger.trace("librdkafka \(facility): \(message)")
        }
    }
}
