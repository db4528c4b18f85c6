import CRdKafka
import Foundation
import RuntimeSupport

/// One librdkafka producer handle and its poll thread. The `KafkaProducer` replaces it after a fatal error (e.g. an
/// idempotent producer whose broker lost its state), so the pipeline heals without a restart.
final class ProducerClient: Sendable {
    /// librdkafka's producer API is thread-safe; the pointer is immutable and destroyed once, by deinit.
    nonisolated(unsafe) let handle: OpaquePointer
    private let pollLoop: PollLoop
    private let clock: ServiceClock

    /// Creates the handle from `properties`, with callbacks reaching `events` through the opaque pointer.
    init(properties: KafkaProperties, events: ProducerEvents) throws(KafkaError) {
        clock = events.clock
        let conf = try properties.makeConf()
        events.install(on: conf)
        BrokerProbe.install(on: conf)
        rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
            guard let message, let opaque else { return }
            Unmanaged<ProducerEvents>.fromOpaque(opaque).takeUnretainedValue().deliveryReport(message)
        }
        let handle = try KafkaError.newClient(RD_KAFKA_PRODUCER, conf: conf, role: "producer")
        self.handle = handle
        pollLoop = PollLoop(name: "kafka producer poll", client: ClientHandle(pointer: handle)) { client in
            rd_kafka_poll(client.pointer, 100)
            return true
        }
    }

    /// Flushes for up to `seconds` and purges what is left (each purged message gets a failed delivery report).
    /// `inFlight` tells when every report has been served. The handle itself is destroyed when the last reference
    /// goes (deinit), so a blocking call still using it (a metadata request) never runs on a destroyed handle.
    func shutDown(waitingAtMost seconds: Double, inFlight: () -> Int) {
        pollLoop.stopAndWait()
        if rd_kafka_flush(handle, Int32(max(0, seconds) * 1000)) != RD_KAFKA_RESP_ERR_NO_ERROR {
            rd_kafka_purge(handle, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
            let deadline = clock.uptimeNanoseconds + 2_000_000_000
            while rd_kafka_outq_len(handle) > 0 && inFlight() > 0 && clock.uptimeNanoseconds < deadline {
                rd_kafka_poll(handle, 50)
            }
        }
    }

    deinit {
        pollLoop.stopAndWait()
        rd_kafka_destroy(handle)
    }
}
