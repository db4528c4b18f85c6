import AnalyticsCore
import CommandLineSupport
import Foundation
import Kafka
import Logging
import RuntimeSupport

/// What `consume` and `events` share: the consumers' part of the configuration, a consumer of one topic in a group of its own (so every
/// run sees every message), an optional time limit, and a clean close.
struct TopicTail {
    let configuration: ConsumerConfiguration
    let consumer: KafkaConsumer
    /// Reading ends this long after it starts (`--seconds`), even on a quiet topic.
    private let seconds: Double?
    private let clock = ServiceClock.system

    /// Loads `options.config` (a bad file exits 2 with its one-line errors) and subscribes to the topic `topic`
    /// picks from its `kafka:` section. `name` labels the logger, the group and the start line.
    static func open(
        options: CommonOptions, name: String, groupID: String? = nil, fromBeginning: Bool, seconds: Double?,
        start: KafkaConsumer.Start = .group, topic: (KafkaConfiguration) -> String
    ) throws -> TopicTail {
        // Only the consumers' sections: these commands run on hosts without the model or the cameras' files.
        let configuration: ConsumerConfiguration
        do {
            configuration = try ConsumerConfiguration.load(path: options.config)
        } catch {
            ConfigurationExit.exit(error)
        }
        options.bootstrapLogging()
        let kafka = configuration.kafka
        let properties = KafkaConsumer.properties(
            bootstrapServers: kafka.bootstrapServers,
            groupID: groupID ?? "realtime-analytics-\(name)-\(UUID().uuidString.prefix(8))",
            startAtNewest: !fromBeginning, overrides: kafka.properties)
        let consumer = try KafkaConsumer(
            properties: properties, topics: [topic(kafka)], start: start,
            logger: Logger(label: "realtime-analytics-\(name)"))
        FileHandle.standardError.write(
            Data("\(name): \(topic(kafka)) on \(kafka.bootstrapServers) (Ctrl-C stops)\n".utf8))
        return TopicTail(configuration: configuration, consumer: consumer, seconds: seconds)
    }

    /// Hands each message to `body` until it returns false, the time limit passes, or the consumer ends; then
    /// leaves the group (blocking for a moment: off the cooperative pool).
    func read(_ body: (KafkaMessage) throws -> Bool) async throws {
        let consumer = self.consumer
        try await withThrowingDiscardingTaskGroup { group in
            if let seconds {
                group.addTask { [clock] in
                    try? await clock.sleep(for: .seconds(seconds))
                    consumer.finishReading()
                }
            }
            for try await message in consumer.messages {
                if try !body(message) { break }
            }
            group.cancelAll()
        }
        await runOnDedicatedThread(named: "kafka consumer close") { consumer.close() }
    }

    /// One line straight to stdout (one write, no buffer): `consume | grep …` shows lines as they come.
    static func printLine(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
