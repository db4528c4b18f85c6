import CRdKafka
import Foundation
import Synchronization

/// Whether a client's cluster answers, as readiness checks need to know: a metadata request for the broker list
/// (no topics) every few seconds, made on the client's own poll thread (it blocks up to `timeoutMs` when no broker
/// answers; librdkafka's error callbacks say when brokers go down, but never that they came back).
public final class BrokerProbe: Sendable {
    public enum Status: Sendable, Equatable {
        /// Not probed yet (the first probe runs within a second of the client's start).
        case unknown
        case reachable
        /// No broker answered; the reason as librdkafka gives it.
        case unreachable(String)
    }

    private let state = Mutex<(status: Status, lastProbeNs: UInt64)>((.unknown, 0))
    private let intervalNs: UInt64
    private let timeoutMs: Int32

    public init(intervalSeconds: Double = 5, timeoutMs: Int32 = 2000) {
        intervalNs = UInt64(intervalSeconds * 1e9)
        self.timeoutMs = timeoutMs
    }

    public var status: Status { state.withLock { $0.status } }

    /// Probes when the interval has passed since the last probe. Call from the client's poll thread.
    func probeIfDue(_ client: OpaquePointer) {
        let now = DispatchTime.now().uptimeNanoseconds
        let due = state.withLock { state in
            guard state.lastProbeNs == 0 || now &- state.lastProbeNs >= intervalNs else { return false }
            state.lastProbeNs = now
            return true
        }
        guard due else { return }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let error = rd_kafka_metadata(client, 0, nil, &metadata, timeoutMs)
        let status: Status
        if error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata {
            status = metadata.pointee.broker_cnt > 0 ? .reachable : .unreachable("the cluster lists no brokers")
        } else {
            status = .unreachable(KafkaError.text(error))
        }
        if let metadata { rd_kafka_metadata_destroy(metadata) }
        state.withLock { $0.status = status }
    }
}
