import Foundation
import Yams

/// The whole configuration of a pipeline or dashboard process, read from one YAML file.
///
/// Every section has defaults, so an empty file is valid except that the pipeline needs at least one stream.
/// Unknown keys are rejected everywhere; see `docs/configuration.md` for every key.
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

    static let keys = [
        "kafka", "streams", "pipeline", "model", "tracker", "dashboard", "output", "preview", "metrics", "fleet",
    ]

    /// Loads and validates a configuration file. Relative paths inside it are resolved against its folder.
    public static func load(path: String) throws(ConfigurationError) -> Configuration {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ConfigurationError(
                file: path, line: nil, path: "",
                message:
                    "the configuration file is a directory; pass a YAML file with --config, e.g. config/sample-pipeline.yaml"
            )
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason =
                FileManager.default.fileExists(atPath: path)
                ? "cannot be read as UTF-8 text (check its permissions and encoding)"
                : "does not exist; pass an existing YAML file with --config"
            throw ConfigurationError(file: path, line: nil, path: "", message: "the configuration file \(reason)")
        }
        // Relative paths in the file are relative to the file's folder, made absolute so they do not depend on the
        // working directory of whoever runs the command.
        let directory = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().path
        return try parse(yaml: text, file: path, baseDirectory: directory)
    }

    /// Parses and validates YAML text. `file` is only used in error messages.
    public static func parse(
        yaml: String, file: String = "<config>", baseDirectory: String = "."
    )
        throws(ConfigurationError) -> Configuration
    {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw ConfigurationError(
                file: file, line: Self.line(of: error), path: "",
                message: "is not valid YAML: \(Self.summary(of: error))")
        } catch {
            throw ConfigurationError(file: file, line: nil, path: "", message: "is not valid YAML: \(error)")
        }
        let document = try YAMLSection(root, path: "", file: file, allowedKeys: keys)
        var configuration = Configuration()
        // Every section and every stream entry is read even after a problem, so that one pass reports them all
        // (each section's first problem), in file order.
        var errors: [ConfigurationError] = []
        func attempt(_ body: () throws(ConfigurationError) -> Void) {
            do { try body() } catch { errors.append(error) }
        }
        attempt { () throws(ConfigurationError) in
            configuration.kafka = try KafkaConfiguration(
                document.section("kafka", allowedKeys: KafkaConfiguration.keys))
        }
        attempt { () throws(ConfigurationError) in
            configuration.pipeline = try PipelineConfiguration(
                document.section("pipeline", allowedKeys: PipelineConfiguration.keys))
        }
        attempt { () throws(ConfigurationError) in
            configuration.model = try ModelConfiguration(
                document.section("model", allowedKeys: ModelConfiguration.keys), baseDirectory: baseDirectory)
        }
        attempt { () throws(ConfigurationError) in
            configuration.tracker = try TrackerConfiguration(
                document.section("tracker", allowedKeys: TrackerConfiguration.keys))
        }
        attempt { () throws(ConfigurationError) in
            configuration.dashboard = try DashboardConfiguration(
                document.section("dashboard", allowedKeys: DashboardConfiguration.keys))
        }
        attempt { () throws(ConfigurationError) in
            configuration.output = try OutputConfiguration(
                document.section("output", allowedKeys: OutputConfiguration.keys), baseDirectory: baseDirectory)
        }
        attempt { () throws(ConfigurationError) in
            configuration.preview = try PreviewConfiguration(
                document.section("preview", allowedKeys: PreviewConfiguration.keys))
        }
        attempt { () throws(ConfigurationError) in
            configuration.metrics = try MetricsConfiguration(
                document.section("metrics", allowedKeys: MetricsConfiguration.keys))
            if configuration.metrics.enabled && configuration.dashboard.enabled
                && configuration.metrics.port == configuration.dashboard.port
            {
                throw try document.section("metrics", allowedKeys: MetricsConfiguration.keys).error(
                    "port",
                    "got \(configuration.metrics.port), the embedded dashboard's port; allowed: another port (the dashboard serves /metrics too)"
                )
            }
        }
        attempt { () throws(ConfigurationError) in
            let section = try document.section("fleet", allowedKeys: FleetConfiguration.keys)
            configuration.fleet = try FleetConfiguration(section)
            let fleet = configuration.fleet, kafka = configuration.kafka
            if fleet.enabled && [kafka.topic, kafka.eventsTopic].contains(fleet.assignmentTopic) {
                throw section.error(
                    "assignment_topic",
                    "is '\(fleet.assignmentTopic)', a topic results are published to; allowed: a topic of its own")
            }
        }
        attempt { () throws(ConfigurationError) in
            var firstDeclaration: [String: String] = [:]
            for (node, path) in try document.sequence("streams") {
                attempt { () throws(ConfigurationError) in
                    let entry = try YAMLSection(node, path: path, file: file, allowedKeys: StreamConfiguration.keys)
                    let labels = configuration.model.labels
                    for stream in try StreamConfiguration.read(entry, baseDirectory: baseDirectory, labels: labels) {
                        if let earlier = firstDeclaration[stream.id] {
                            throw entry.error(
                                "id", "stream id '\(stream.id)' is already used by \(earlier); ids must be unique")
                        }
                        firstDeclaration[stream.id] = path
                        configuration.streams.append(stream)
                    }
                }
            }
        }
        if let error = ConfigurationError.combined(errors) { throw error }
        return configuration
    }

    /// Checks what only the pipeline command needs.
    /// Whether stream `index` attaches previews (its own `include_frames`, else kafka's).
    public func includesFrames(streamIndex index: Int) -> Bool {
        streams[index].includeFrames ?? kafka.includeFrames
    }

    public func validateForPipeline(file: String) throws(ConfigurationError) {
        if streams.isEmpty {
            throw ConfigurationError(
                file: file, line: nil, path: "streams",
                message: "no streams configured; add at least one entry with id and url")
        }
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        default:
            return nil
        }
    }

    private static func summary(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _):
            return problem
        case .duplicatedKeysInMapping(let duplicates, _):
            return "duplicate keys \(duplicates.joined(separator: ", ")); keep one of each"
        default:
            return String(describing: error).split(separator: "\n").first.map(String.init) ?? "parse error"
        }
    }
}
