import Foundation

/// The shipped sample configuration (config/sample-pipeline.yaml) as the consumers' process tests run it: absolute
/// paths to the samples and the model, a test broker and topics of the test's own, no JSON lines file, no metrics
/// port; `more` replacements after those. A text the sample no longer has fails the test with its name.
public enum SampleConfiguration {
    public static func text(
        broker: String, framesTopic: String, eventsTopic: String, more: [(String, String)] = []
    ) throws -> String {
        let root = TestEnvironment.packageRoot.path
        var text = try String(
            contentsOf: TestEnvironment.packageRoot.appendingPathComponent("config/sample-pipeline.yaml"),
            encoding: .utf8)
        let replacements: [(String, String)] =
            [
                ("url: ../samples/", "url: \(root)/samples/"),
                ("path: ../models/", "path: \(root)/models/"),
                ("bootstrap_servers: \"127.0.0.1:19092\"", "bootstrap_servers: \"\(broker)\""),
                ("topic: analytics.events", "topic: \(framesTopic)"),
                ("events_topic: analytics.zone-events", "events_topic: \(eventsTopic)"),
                ("  jsonl:\n    enabled: true", "  jsonl:\n    enabled: false"),
                ("metrics:\n  enabled: true", "metrics:\n  enabled: false"),
            ] + more
        for (old, new) in replacements {
            guard text.contains(old) else {
                throw TestEnvironment.MissingResource(description: "config/sample-pipeline.yaml no longer has '\(old)'")
            }
            text = text.replacingOccurrences(of: old, with: new)
        }
        return text
    }
}
