import CRdKafka
import Foundation
import Synchronization

/// Whether a client's cluster answers, as readiness checks need to know (librdkafka's error callbacks say when
/// brokers go down, but never that they came back).
///
/// It reads the broker states of librdkafka's own statistics (`statistics.interval.ms`), served on the client's
/// poll thread without blocking it, and sends nothing. An earlier version asked the cluster for its broker list from
/// the poll thread: with no broker answering, that call blocked for 2 s, holding back delivery reports and making a
/// producer's `close(waitingAtMost: 0.5)` take 2.5 s.
public final class BrokerProbe: Sendable {
    public enum Status: Sendable, Equatable {
        /// No statistics yet (they come every `intervalMs`, the first one that long after the client starts).
        case unknown
        case reachable
        /// No connection to a broker is up; the brokers and their states as librdkafka gives them.
        case unreachable(String)

        /// Why no broker can be used yet, as `/readyz` says it; nil when one answers.
        public var problem: String? {
            switch self {
            case .reachable: nil
            case .unknown: "the first connection to the cluster is still being made"
            case .unreachable(let reason): "no broker answers (\(reason))"
            }
        }
    }

    /// How often librdkafka reports its statistics, unless the client's properties set `statistics.interval.ms`.
    static let intervalMs = 1000

    private let state = Mutex<Status>(.unknown)

    public init() {}

    public var status: Status { state.withLock { $0 } }

    /// Turns on librdkafka's statistics in `conf` (unless its properties already did) and routes them to the
    /// `brokerProbe` of `conf`'s opaque, which must be a `BrokerProbing` object.
    static func install(on conf: OpaquePointer) {
        var buffer = [CChar](repeating: 0, count: 32)
        var size = buffer.count
        let current =
            rd_kafka_conf_get(conf, "statistics.interval.ms", &buffer, &size) == RD_KAFKA_CONF_OK
            ? KafkaError.text(of: buffer) : "0"
        if current == "0" {
            var error = [CChar](repeating: 0, count: 256)
            _ = rd_kafka_conf_set(conf, "statistics.interval.ms", "\(intervalMs)", &error, error.count)
        }
        rd_kafka_conf_set_stats_cb(conf) { _, json, length, opaque in
            guard let json, let opaque,
                let owner = Unmanaged<AnyObject>.fromOpaque(opaque).takeUnretainedValue() as? any BrokerProbing
            else { return 0 }
            owner.brokerProbe.update(statistics: Data(bytes: json, count: length))
            return 0  // librdkafka frees the JSON
        }
    }

    /// Takes the broker states of one statistics document: reachable when a connection to any broker is up.
    func update(statistics: Data) {
        guard let document = try? JSONSerialization.jsonObject(with: statistics) as? [String: Any],
            let brokers = document["brokers"] as? [String: [String: Any]]
        else { return }
        state.withLock { $0 = Self.status(of: brokers) }
    }

    /// The status the brokers of a statistics document give (librdkafka's internal broker left out).
    static func status(of brokers: [String: [String: Any]]) -> Status {
        let external = brokers.filter { $0.value["source"] as? String != "internal" }
        if external.values.contains(where: { $0["state"] as? String == "UP" }) { return .reachable }
        let states = external.map { name, broker in
            // "127.0.0.1:9092/bootstrap" or "127.0.0.1:9092/1": the address is what a user can act on.
            "\(name.split(separator: "/").first.map(String.init) ?? name) \(broker["state"] as? String ?? "?")"
        }
        return .unreachable(
            states.isEmpty ? "no broker known" : "no connection up: \(states.sorted().joined(separator: ", "))")
    }
}

/// A client's callback target that carries a `BrokerProbe` (reached through librdkafka's opaque pointer).
protocol BrokerProbing: AnyObject {
    var brokerProbe: BrokerProbe { get }
}
