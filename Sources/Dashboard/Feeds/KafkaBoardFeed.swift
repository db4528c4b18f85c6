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

    public init(configuration: Configuration, publisher: BoardPublisher, logger: Logger) throws(KafkaError) {
        let properties = configuration.kafka.consumerProperties(
            groupID: configuration.dashboard.groupID, startAtNewest: configuration.dashboard.startAtNewest)
        consumer = try KafkaConsumer(properties: properties, topics: [configuration.kafka.topic], logger: logger)
        self.publisher = publisher
        self.logger = logger
    }

    public func run() async throws {
        let consumer = self.consumer
        let ticks = Task { await publisher.runTicks() }
        defer { ticks.cancel() }
        try await withTaskCancellationOrGracefulShutdownHandler {
            for try await message in consumer.messages {
                publisher.ingest(
                    message.value, origin: "\(message.topic) partition \(message.partition) offset \(message.offset)")
            }
        } onCancelOrGracefulShutdown: {
            // Leaving the group blocks for a moment: not on the cooperative pool.
            Thread { consumer.close() }.start()
        }
    }
}
