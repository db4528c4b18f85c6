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
public struct Configuration: ConfigurationReading, Sendable, Equatable {
    public var kafka = KafkaConfiguration()
    public var streams: [StreamConfiguration] = []
    public var pipeline = PipelineConfiguration()
    public var model = ModelConfiguration()
    public var tracker = TrackerConfiguration()
    public var dashboard = DashboardConfiguration()
    /// The alerts process's section (checked here so `validate` reports it; the embedded dashboard's replay reads
    /// its topic).
    public var alerts = AlertsConfiguration()
    public var output = OutputConfiguration()
    public var preview = PreviewConfiguration()
    public var metrics = MetricsConfiguration()
    public var fleet = FleetConfiguration()

    public init() {}

    /// Reads and validates every section of a document, each one's first problem reported.
    public static func read(_ document: ConfigurationDocument) throws(ConfigurationError) -> Configuration {
        var configuration = Configuration()
        let problems = ConfigurationProblems()
        // The model first: its labels are the class names the streams' zones and lines may use.
        problems.read("model", allowedKeys: ModelConfiguration.keys, of: document) {
            section throws(ConfigurationError) in
            configuration.model = try ModelConfiguration(section, baseDirectory: document.baseDirectory)
        }
        let consumer = ConsumerConfiguration.read(document, labels: configuration.model.labels, problems: problems)
        (configuration.kafka, configuration.dashboard, configuration.streams, configuration.alerts) =
            (consumer.kafka, consumer.dashboard, consumer.streams, consumer.alerts)
        problems.read("pipeline", allowedKeys: PipelineConfiguration.keys, of: document) {
            section throws(ConfigurationError) in configuration.pipeline = try PipelineConfiguration(section)
        }
        problems.read("tracker", allowedKeys: TrackerConfiguration.keys, of: document) {
            section throws(ConfigurationError) in configuration.tracker = try TrackerConfiguration(section)
        }
        problems.read("output", allowedKeys: OutputConfiguration.keys, of: document) {
            section throws(ConfigurationError) in
            configuration.output = try OutputConfiguration(section, baseDirectory: document.baseDirectory)
        }
        problems.read("preview", allowedKeys: PreviewConfiguration.keys, of: document) {
            section throws(ConfigurationError) in configuration.preview = try PreviewConfiguration(section)
        }
        problems.read("metrics", allowedKeys: MetricsConfiguration.keys, of: document) {
            section throws(ConfigurationError) in
            configuration.metrics = try MetricsConfiguration(section)
            let (metrics, dashboard) = (configuration.metrics, configuration.dashboard)
            if metrics.enabled && dashboard.enabled && metrics.port == dashboard.port {
                throw section.error(
                    "port",
                    "got \(metrics.port), the embedded dashboard's port; allowed: another port (the dashboard serves /metrics too)"
                )
            }
        }
        problems.read("fleet", allowedKeys: FleetConfiguration.keys, of: document) {
            section throws(ConfigurationError) in
            configuration.fleet = try FleetConfiguration(section)
            let (fleet, kafka) = (configuration.fleet, configuration.kafka)
            if fleet.enabled && [kafka.topic, kafka.eventsTopic].contains(fleet.assignmentTopic) {
                throw section.error(
                    "assignment_topic",
                    "is '\(fleet.assignmentTopic)', a topic results are published to; allowed: a topic of its own")
            }
        }
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
        var consumer = ConsumerConfiguration(kafka: kafka, dashboard: dashboard, streams: streams)
        consumer.alerts = alerts
        return consumer
    }
}
