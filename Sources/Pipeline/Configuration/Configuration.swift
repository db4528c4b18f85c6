import AnalyticsCore
import Detection
import Foundation

/// The whole configuration of a pipeline process, read from one YAML file.
///
/// Every section has defaults, so an empty file is valid except that the pipeline needs at least one stream.
/// Unknown keys are rejected everywhere; see `docs/configuration.md` for every key. Each section's type lives next
/// to the code that uses it (the detector's `model:` in Detection, the consumers' `kafka:`, `dashboard:` and
/// `streams:` in AnalyticsCore, the rest here); this reads them all from one document, so `validate` reports every
/// problem in one pass, in file order.
public struct Configuration: Sendable, Equatable {
    public var kafka = KafkaConfiguration()
    public var streams: [StreamConfiguration] = []
    public var pipeline = PipelineConfiguration()
    public var model = ModelConfiguration()
    public var tracker = TrackerConfiguration()
    public var dashboard = DashboardConfiguration()
    public var output = OutputConfiguration()
    public var preview = PreviewConfiguration()
    public var metrics = MetricsConfiguration()
    public var fleet = FleetConfiguration()

    public init() {}

    /// Loads and validates a configuration file. Relative paths inside it are resolved against its folder.
    public static func load(path: String) throws(ConfigurationError) -> Configuration {
        try read(ConfigurationDocument.load(path: path))
    }

    /// Parses and validates YAML text. `file` is only used in error messages.
    public static func parse(
        yaml: String, file: String = "<config>", baseDirectory: String = "."
    ) throws(ConfigurationError) -> Configuration {
        try read(ConfigurationDocument.parse(yaml: yaml, file: file, baseDirectory: baseDirectory))
    }

    /// Reads and validates every section of a document, each one's first problem reported.
    public static func read(_ document: ConfigurationDocument) throws(ConfigurationError) -> Configuration {
        var configuration = Configuration()
        let problems = ConfigurationProblems()
        problems.attempt { () throws(ConfigurationError) in
            configuration.kafka = try KafkaConfiguration(
                document.section("kafka", allowedKeys: KafkaConfiguration.keys))
        }
        problems.attempt { () throws(ConfigurationError) in
            configuration.pipeline = try PipelineConfiguration(
                document.section("pipeline", allowedKeys: PipelineConfiguration.keys))
        }
        problems.attempt { () throws(ConfigurationError) in
            configuration.model = try ModelConfiguration(
                document.section("model", allowedKeys: ModelConfiguration.keys), baseDirectory: document.baseDirectory)
        }
        problems.attempt { () throws(ConfigurationError) in
            configuration.tracker = try TrackerConfiguration(
                document.section("tracker", allowedKeys: TrackerConfiguration.keys))
        }
        problems.attempt { () throws(ConfigurationError) in
            configuration.dashboard = try DashboardConfiguration(
                document.section("dashboard", allowedKeys: DashboardConfiguration.keys))
        }
        problems.attempt { () throws(ConfigurationError) in
            configuration.output = try OutputConfiguration(
                document.section("output", allowedKeys: OutputConfiguration.keys), baseDirectory: document.baseDirectory
            )
        }
        problems.attempt { () throws(ConfigurationError) in
            configuration.preview = try PreviewConfiguration(
                document.section("preview", allowedKeys: PreviewConfiguration.keys))
        }
        problems.attempt { () throws(ConfigurationError) in
            let section = try document.section("metrics", allowedKeys: MetricsConfiguration.keys)
            configuration.metrics = try MetricsConfiguration(section)
            if configuration.metrics.enabled && configuration.dashboard.enabled
                && configuration.metrics.port == configuration.dashboard.port
            {
                throw section.error(
                    "port",
                    "got \(configuration.metrics.port), the embedded dashboard's port; allowed: another port (the dashboard serves /metrics too)"
                )
            }
        }
        problems.attempt { () throws(ConfigurationError) in
            let section = try document.section("fleet", allowedKeys: FleetConfiguration.keys)
            configuration.fleet = try FleetConfiguration(section)
            let fleet = configuration.fleet, kafka = configuration.kafka
            if fleet.enabled && [kafka.topic, kafka.eventsTopic].contains(fleet.assignmentTopic) {
                throw section.error(
                    "assignment_topic",
                    "is '\(fleet.assignmentTopic)', a topic results are published to; allowed: a topic of its own")
            }
        }
        configuration.streams = StreamConfiguration.readAll(
            document, labels: configuration.model.labels, problems: problems)
        try problems.throwIfAny()
        return configuration
    }

    /// Whether stream `index` attaches previews (its own `include_frames`, else kafka's).
    public func includesFrames(streamIndex index: Int) -> Bool {
        streams[index].includeFrames ?? kafka.includeFrames
    }

    /// Checks what only the pipeline command needs.
    public func validateForPipeline(file: String) throws(ConfigurationError) {
        if streams.isEmpty {
            throw ConfigurationError(
                file: file, line: nil, path: "streams",
                message: "no streams configured; add at least one entry with id and url")
        }
    }

    /// What a consumer of the bus reads of this file (the embedded dashboard's replay sessions).
    public var consumer: ConsumerConfiguration {
        ConsumerConfiguration(kafka: kafka, dashboard: dashboard, streams: streams)
    }
}
