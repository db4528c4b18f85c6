import AnalyticsCore
import CMosquitto
import Foundation
import Logging
import Synchronization

/// One libmosquitto client that owns its handle: connects in the background on the library's own network thread
/// (`mosquitto_loop_start`), reconnects with backoff, and reports each QoS 1/2 publish's acknowledgement by message
/// id. `close` disconnects, joins the thread and destroys the handle.
final class MQTTConnection: @unchecked Sendable {
    // @unchecked: `handle` is immutable and libmosquitto's threaded interface may be called from any thread; the
    // rest is Mutex-protected or Sendable.
    private let handle: OpaquePointer
    let acknowledgements = AcknowledgementWaiters<Int32>()
    private let connected = Atomic<Bool>(false)
    private let lastProblem = Mutex<String?>(nil)
    private let closed = Atomic<Bool>(false)
    private let logger: Logger
    let address: String

    private static let libraryReady: Void = { mosquitto_lib_init() }()

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(configuration: AlertDelivery.MQTT, name: String, logger: Logger) throws(Failure) {
        _ = Self.libraryReady
        self.logger = logger
        address = "\(configuration.host):\(configuration.port)"
        let clientID = configuration.clientID ?? "realtime-analytics-alerts-\(name)-\(getpid())"
        // With a configured client id, a persistent session (clean_session false): the broker keeps what it owes
        // that client across reconnects. A generated id gets a clean session.
        guard let handle = mosquitto_new(clientID, configuration.clientID == nil, nil) else {
            throw Failure(description: "cannot create an MQTT client (out of memory)")
        }
        self.handle = handle
        mosquitto_user_data_set(handle, Unmanaged.passUnretained(self).toOpaque())
        if let username = configuration.username {
            mosquitto_username_pw_set(handle, username, configuration.password)
        }
        mosquitto_reconnect_delay_set(handle, 1, 10, true)
        mosquitto_connect_callback_set(handle) { _, context, code in
            guard let context else { return }
            let connection = Unmanaged<MQTTConnection>.fromOpaque(context).takeUnretainedValue()
            connection.connected.store(code == 0, ordering: .releasing)
            if code != 0 {
                let reason = String(cString: mosquitto_connack_string(code))
                connection.lastProblem.withLock { $0 = reason }
                connection.logger.error("alerts: MQTT broker \(connection.address) refused the connection: \(reason)")
            } else {
                connection.lastProblem.withLock { $0 = nil }
                connection.logger.info("alerts: connected to the MQTT broker \(connection.address)")
            }
        }
        mosquitto_disconnect_callback_set(handle) { _, context, code in
            guard let context else { return }
            let connection = Unmanaged<MQTTConnection>.fromOpaque(context).takeUnretainedValue()
            connection.connected.store(false, ordering: .releasing)
            if code != 0 && !connection.closed.load(ordering: .acquiring) {
                let reason = String(cString: mosquitto_strerror(code))
                connection.lastProblem.withLock { $0 = "disconnected: \(reason)" }
                connection.logger.warning(
                    "alerts: lost the MQTT broker \(connection.address) (\(reason)); reconnecting")
            }
        }
        mosquitto_publish_callback_set(handle) { _, context, messageID in
            guard let context else { return }
            Unmanaged<MQTTConnection>.fromOpaque(context).takeUnretainedValue().acknowledgements.acknowledge(messageID)
        }
        let started = mosquitto_loop_start(handle)
        guard started == MOSQ_ERR_SUCCESS.rawValue else {
            mosquitto_destroy(handle)
            throw Failure(
                description: "cannot start the MQTT network thread: \(String(cString: mosquitto_strerror(started)))")
        }
        let connecting = mosquitto_connect_async(
            handle, configuration.host, Int32(configuration.port), Int32(configuration.keepaliveSeconds))
        if connecting != MOSQ_ERR_SUCCESS.rawValue {
            // The network thread retries (e.g. a broker not up yet); the problem is reported until it connects.
            let reason = String(cString: mosquitto_strerror(connecting))
            lastProblem.withLock { $0 = reason }
            logger.warning("alerts: MQTT broker \(address) not reachable yet (\(reason)); retrying")
        }
    }

    var isConnected: Bool { connected.load(ordering: .acquiring) }

    /// Why the connection is not up, when it is not.
    var problem: String? { isConnected ? nil : (lastProblem.withLock { $0 } ?? "connecting") }

    /// Queues one message; returns its message id (QoS 1/2: acknowledged through `acknowledgements`).
    func publish(topic: String, payload: [UInt8], qos: Int, retain: Bool) throws(Failure) -> Int32 {
        guard isConnected else {
            throw Failure(description: "not connected to \(address) (\(problem ?? "connecting"))")
        }
        var messageID: Int32 = 0
        let result = payload.withUnsafeBytes { bytes in
            mosquitto_publish(
                handle, &messageID, topic, Int32(bytes.count), bytes.baseAddress, Int32(qos), retain)
        }
        guard result == MOSQ_ERR_SUCCESS.rawValue else {
            throw Failure(description: "publish to \(address) failed: \(String(cString: mosquitto_strerror(result)))")
        }
        return messageID
    }

    /// Disconnects, stops the network thread and frees the client. Blocking: call off the cooperative pool.
    func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        mosquitto_disconnect(handle)
        mosquitto_loop_stop(handle, false)
        mosquitto_destroy(handle)
    }
}
