import AnalyticsCore
import CommandLineSupport
import Foundation
import Kafka
import Logging

/// What `consume` and `events` share: the consumers' part of the configuration, a consumer of one topic in a group of its own (so every
/// run sees every message), an optional time limit, and a clean close.
struct TopicTail {
    let configuration: ConsumerConfiguration
    let consumer: KafkaConsumer
    private let timer: Task<Void, Never>

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
        let timer = Task {
            if let seconds {
                try? await Task.sleep(for: .seconds(seconds))
                await runOnDedicatedThread(named: "kafka consumer close") { consumer.close() }
            }
        }
        return TopicTail(configuration: configuration, consumer: consumer, timer: timer)
    }

    /// Leaves the group (blocking for a moment: off the cooperative pool).
    func close() async {
        timer.cancel()
        await runOnDedicatedThread(named: "kafka consumer close") { [consumer] in consumer.close() }
    }

    /// One line straight to stdout (one write, no buffer): `consume | grep …` shows lines as they come.
    static func printLine(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
