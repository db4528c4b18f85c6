import AnalyticsCore
import Foundation
import Kafka
import Logging
import ServiceLifecycle

/// The dashboard process's input: a Kafka consumer-group member reading the analytics topic into the board.
public struct KafkaBoardFeed: Service {
    private let consumer: KafkaConsumer
    private let publisher: BoardPublisher
    private let logger: Logger
    private let topic: String
    private let eventsTopic: String

    public init(configuration: Configuration, publisher: BoardPublisher, logger: Logger) throws(KafkaError) {
        let properties = configuration.kafka.consumerProperties(
            groupID: configuration.dashboard.groupID, startAtNewest: configuration.dashboard.startAtNewest)
        consumer = try KafkaConsumer(
            properties: properties, topics: [configuration.kafka.topic, configuration.kafka.eventsTopic],
            logger: logger)
        eventsTopic = configuration.kafka.eventsTopic
        self.publisher = publisher
        self.logger = logger
        topic = configuration.kafka.topic
    }

    /// Ready when the cluster answers and the group gave this consumer partitions of the topic. The streams are
    /// listed with their state, but a silent camera does not make the dashboard unready: it still shows the truth.
    public func readiness() -> ReadinessReport {
        var problems: [String] = []
        switch consumer.brokerStatus {
        case .reachable: break
        case .unknown: problems.append("kafka: the first connection to the cluster is still being made")
        case .unreachable(let reason): problems.append("kafka: no broker answers (\(reason))")
        }
        switch consumer.assignedPartitions {
        case let count? where count > 0: break
        case nil, 0?:
            problems.append("kafka: no partition of \(topic) is assigned to this consumer yet (joining the group)")
        default: break
        }
        let streams = publisher.board.snapshot().map {
            ReadinessReport.Stream(id: $0.view.id, state: $0.view.state.rawValue, reason: $0.view.reason)
        }
        return ReadinessReport(problems: problems, streams: streams)
    }

    public func run() async throws {
        let consumer = self.consumer
        let ticks = Task { await publisher.runTicks() }
        defer { ticks.cancel() }
        try await withTaskCancellationOrGracefulShutdownHandler {
            for try await message in consumer.messages {
                let origin = "\(message.topic) partition \(message.partition) offset \(message.offset)"
                if message.topic == eventsTopic {
                    publisher.ingestEvent(message.value, origin: origin)
                } else {
                    publisher.ingest(message.value, origin: origin)
                }
            }
        } onCancelOrGracefulShutdown: {
            // Leaving the group blocks for a moment: not on the cooperative pool.
            Thread { consumer.close() }.start()
        }
    }
}
