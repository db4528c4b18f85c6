/// What a consumer of the bus reads of the configuration file: the dashboard process and the `consume` and `events`
/// commands.
///
/// Only `kafka:`, `dashboard:` and `streams:` (ids, zones and lines) are read and checked; the other sections are
/// accepted unread. So a consumer starts on a host that has neither the model nor the pipeline's output folders, with
/// the same file as the pipeline (whose own checks of those stay with the pipeline).
public struct ConsumerConfiguration: Sendable, Equatable {
    public var kafka = KafkaConfiguration()
    public var dashboard = DashboardConfiguration()
    /// The configured streams: the board lists them (waiting until their first message) with their zones and lines.
    public var streams: [StreamConfiguration] = []

    public init(
        kafka: KafkaConfiguration = KafkaConfiguration(), dashboard: DashboardConfiguration = DashboardConfiguration(),
        streams: [StreamConfiguration] = []
    ) {
        self.kafka = kafka
        self.dashboard = dashboard
        self.streams = streams
    }

    /// Loads a configuration file and reads the consumers' sections of it.
    public static func load(path: String) throws(ConfigurationError) -> ConsumerConfiguration {
        try read(ConfigurationDocument.load(path: path))
    }

    /// Parses YAML text and reads the consumers' sections of it. `file` is only used in error messages.
    public static func parse(
        yaml: String, file: String = "<config>", baseDirectory: String = "."
    ) throws(ConfigurationError) -> ConsumerConfiguration {
        try read(ConfigurationDocument.parse(yaml: yaml, file: file, baseDirectory: baseDirectory))
    }

    /// Reads `kafka:`, `dashboard:` and `streams:` of a document, each one's first problem reported. Zone and line
    /// classes are not checked against the model's labels here: the labels file is the pipeline's.
    public static func read(_ document: ConfigurationDocument) throws(ConfigurationError) -> ConsumerConfiguration {
        var configuration = ConsumerConfiguration()
        let problems = ConfigurationProblems()
        problems.attempt { () throws(ConfigurationError) in
            configuration.kafka = try KafkaConfiguration(
                document.section("kafka", allowedKeys: KafkaConfiguration.keys))
        }
        problems.attempt { () throws(ConfigurationError) in
            configuration.dashboard = try DashboardConfiguration(
                document.section("dashboard", allowedKeys: DashboardConfiguration.keys))
        }
        configuration.streams = StreamConfiguration.readAll(document, labels: nil, problems: problems)
        try problems.throwIfAny()
        return configuration
    }
}
