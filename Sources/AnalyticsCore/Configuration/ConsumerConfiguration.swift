/// What a consumer of the bus reads of the configuration file: the dashboard process and the `consume` and `events`
/// commands.
///
/// Only `kafka:`, `dashboard:`, `archive:`, `alerts:` and `streams:` (ids, zones and lines) are read and checked; the other sections are
/// accepted unread. So a consumer starts on a host that has neither the model nor the pipeline's output folders, with
/// the same file as the pipeline (whose own checks of those stay with the pipeline).
public struct ConsumerConfiguration: ConfigurationReading, Sendable, Equatable {
    public var kafka = KafkaConfiguration()
    public var dashboard = DashboardConfiguration()
    /// The archive's database (the archive process writes it; `report` and the dashboard's History read it).
    public var archive = ArchiveConfiguration()
    /// The alerts process's rules and deliveries.
    public var alerts = AlertsConfiguration()
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

    /// Reads `kafka:`, `dashboard:` and `streams:` of a document, each one's first problem reported. Zone and line
    /// classes are not checked against the model's labels here: the labels file is the pipeline's.
    public static func read(_ document: ConfigurationDocument) throws(ConfigurationError) -> ConsumerConfiguration {
        let problems = ConfigurationProblems()
        let configuration = read(document, labels: nil, problems: problems)
        try problems.throwIfAny()
        return configuration
    }

    /// Reads the consumers' sections, keeping their problems in `problems` (the pipeline reads them this way too,
    /// with its model's `labels` for the zones' and lines' classes).
    public static func read(
        _ document: ConfigurationDocument, labels: [String]?, problems: ConfigurationProblems
    ) -> ConsumerConfiguration {
        var configuration = ConsumerConfiguration()
        problems.read("kafka", allowedKeys: KafkaConfiguration.keys, of: document) {
            section throws(ConfigurationError) in
            configuration.kafka = try KafkaConfiguration(section)
        }
        problems.read("dashboard", allowedKeys: DashboardConfiguration.keys, of: document) {
            section throws(ConfigurationError) in configuration.dashboard = try DashboardConfiguration(section)
        }
        problems.read("archive", allowedKeys: ArchiveConfiguration.keys, of: document) {
            section throws(ConfigurationError) in
            configuration.archive = try ArchiveConfiguration(section, baseDirectory: document.baseDirectory)
        }
        configuration.streams = StreamConfiguration.readAll(document, labels: labels, problems: problems)
        configuration.alerts = AlertsConfiguration(baseDirectory: document.baseDirectory)
        problems.read("alerts", allowedKeys: AlertsConfiguration.keys, of: document) {
            section throws(ConfigurationError) in
            configuration.alerts = try AlertsConfiguration(
                section, baseDirectory: document.baseDirectory, streams: configuration.streams)
        }
        return configuration
    }
}
