import CRdKafka
import Logging

/// What a consumer-side client's librdkafka callbacks reach through its opaque pointer: its logger and its error
/// handling. librdkafka would print its own lines to stderr; these go through the logger instead.
protocol ClientEvents: AnyObject, Sendable {
    var logger: Logger { get }
    func clientError(_ code: Int32, reason: String)
}

extension ClientEvents {
    /// Makes `self` the opaque of `conf` (it must outlive the client) and routes errors and log lines to it.
    func install(on conf: OpaquePointer) {
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(self).toOpaque())
        rd_kafka_conf_set_error_cb(conf) { _, code, reason, opaque in
            guard let opaque,
                let events = Unmanaged<AnyObject>.fromOpaque(opaque).takeUnretainedValue() as? any ClientEvents
            else { return }
            events.clientError(code, reason: reason.map { String(cString: $0) } ?? "")
        }
        rd_kafka_conf_set_log_cb(conf) { client, _, facility, message in
            guard let client, let opaque = rd_kafka_opaque(client),
                let events = Unmanaged<AnyObject>.fromOpaque(opaque).takeUnretainedValue() as? any ClientEvents
            else { return }
            events.logger.debug(
                "librdkafka \(facility.map { String(cString: $0) } ?? ""): \(message.map { String(cString: $0) } ?? "")"
            )
        }
    }
}
