import Foundation
import Testing

@testable import Kafka

@Suite("Broker probe", .timeLimit(.minutes(1)))
struct BrokerProbeTests {
    /// The `brokers` part of librdkafka's statistics, as librdkafka 2.0 writes it (abridged).
    static func statistics(_ states: [(name: String, source: String, state: String)]) -> Data {
        let brokers = states.map {
            #""\#($0.name)":{"name":"\#($0.name)","source":"\#($0.source)","state":"\#($0.state)"}"#
        }
        return Data(
            #"{"name":"rdkafka#producer-1","type":"producer","brokers":{\#(brokers.joined(separator: ","))}}"#.utf8)
    }

    @Test(
        "reachable while a connection to any broker is up; librdkafka's internal broker does not count; down names each broker's address and state"
    )
    func statesFromStatistics() {
        let probe = BrokerProbe()
        #expect(probe.status == .unknown)
        probe.update(
            statistics: Self.statistics([
                (":0/internal", "internal", "UP"), ("10.0.0.7:9092/bootstrap", "configured", "UP"),
                ("10.0.0.7:9092/1", "learned", "CONNECT"),
            ]))
        #expect(probe.status == .reachable)
        probe.update(
            statistics: Self.statistics([
                (":0/internal", "internal", "UP"), ("10.0.0.7:9092/bootstrap", "configured", "TRY_CONNECT"),
                ("10.0.0.8:9092/2", "learned", "DOWN"),
            ]))
        #expect(probe.status == .unreachable("no connection up: 10.0.0.7:9092 TRY_CONNECT, 10.0.0.8:9092 DOWN"))
        probe.update(statistics: Data("not json".utf8))
        #expect(probe.status == .unreachable("no connection up: 10.0.0.7:9092 TRY_CONNECT, 10.0.0.8:9092 DOWN"))
    }
}
