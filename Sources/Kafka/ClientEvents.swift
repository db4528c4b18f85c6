import CRdKafka
import Logging
import Synchronization

/// What a client's librdkafka callbacks reach through its opaque pointer: its logger and its error handling. Every
/// client (producer, consumer, group member) installs its callbacks here, so librdkafka's lines go through the logger
/// (it would print them to stderr) at one level mapping, and a fatal error arrives with librdkafka's own reason.
protocol ClientEvents: AnyObject, Sendable {
    var logger: Logger { get }
    func clientError(_ code: Int32, reason: String)
    /// The client `handle` hit a fatal error (e.g. an idempotent producer whose broker lost its state): it accepts
    /// nothing more. The default logs it.
    func fatalClientError(of handle: OpaquePointer, reason: String)
}

extension ClientEvents {
    func fatalClientError(of handle: OpaquePointer, reason: String) {
        logger.error("Kafka client fatal error: \(reason); restart the process if it persists")
    }

    /// Makes `self` the opaque of `conf` (it must outlive the client) and routes errors and log lines to it.
    func install(on conf: OpaquePointer) {
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(self).toOpaque())
        rd_kafka_conf_set_error_cb(conf) { client, code, reason, opaque in
            guard let opaque, let events = events(opaque) else { return }
            guard code == RD_KAFKA_RESP_ERR__FATAL.rawValue, let client else {
                events.clientError(code, reason: reason.map { String(cString: $0) } ?? "")
                return
            }
            var buffer = [CChar](repeating: 0, count: 512)
            _ = rd_kafka_fatal_error(client, &buffer, buffer.count)
            events.fatalClientError(of: client, reason: KafkaError.text(of: buffer))
        }
        rd_kafka_conf_set_log_cb(conf) { client, level, facility, message in
            guard let client, let opaque = rd_kafka_opaque(client), let events = events(opaque) else { return }
            // librdkafka's syslog levels: 0-3 error, 4 warning, 5-6 info, 7 debug. What matters of its errors
            // reaches `clientError` (e.g. one "cannot reach" warning for its connection-refused chatter), so its
            // own lines stay at debug and trace.
            events.logger.log(
                level: level <= 3 ? .debug : .trace,
                "librdkafka \(facility.map { String(cString: $0) } ?? ""): \(message.map { String(cString: $0) } ?? "")"
            )
        }
    }
}

private func events(_ opaque: UnsafeMutableRawPointer) -> (any ClientEvents)? {
    Unmanaged<AnyObject>.fromOpaque(opaque).takeUnretainedValue() as? any ClientEvents
}

/// A broker outage logged as one warning when it begins and one line when it ends, not once per retry: how every
/// client says "cannot reach" (librdkafka reports the same failure on every reconnect attempt).
final class OutageLog: Sendable {
    private let warned = Atomic<Bool>(false)

    /// Logs `message` as a warning unless this outage was already reported.
    func began(_ logger: Logger, _ message: @autoclosure () -> String) {
        if !warned.exchange(true, ordering: .relaxed) { logger.warning("\(message())") }
    }

    /// Logs `message` when an outage was reported, and arms the warning for the next one.
    func ended(_ logger: Logger, _ message: @autoclosure () -> String) {
        if warned.exchange(false, ordering: .relaxed) { logger.info("\(message())") }
    }
}
