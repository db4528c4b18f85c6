import Foundation
import TestSupport

/// The 32-stream sample configuration (config/sample-pipeline.yaml, as shipped) pointed at a test broker, topics of its
/// own and an archive: what the archive's process tests run.
struct ArchiveSample {
    let broker: String
    let framesTopic: String
    let eventsTopic: String
    let directory: URL

    init(broker: String, directory: URL) {
        self.broker = broker
        framesTopic = KafkaBroker.uniqueTopic("archive-frames")
        eventsTopic = KafkaBroker.uniqueTopic("archive-events")
        self.directory = directory
    }

    /// The sample's text with this test's broker, topics, ports and `archiveURL`; no JSON lines file, no metrics port.
    func configuration(archiveURL: String, archivePort: Int, dashboardPort: Int, label: String) throws -> URL {
        let text = try SampleConfiguration.text(
            broker: broker, framesTopic: framesTopic, eventsTopic: eventsTopic,
            more: [
                ("  port: 8080", "  port: \(dashboardPort)"),
                ("url: sqlite:../var/archive.sqlite", "url: \"\(archiveURL)\"\n  status_interval_s: 1"),
                ("  port: 9465", "  port: \(archivePort)"),
            ])
        let file = directory.appendingPathComponent("sample-\(label).yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// scripts/archive-check.py against one archive of this sample's topics.
    func check(_ archiveArguments: [String], waitSeconds: Int = 120) throws -> (equal: Bool, report: String) {
        try archiveCheck(
            broker: broker, framesTopic: framesTopic, eventsTopic: eventsTopic, archiveArguments,
            waitSeconds: waitSeconds)
    }
}

/// scripts/archive-check.py against one archive (`--sqlite PATH` or `--postgres URL`) of these topics: the
/// independent reader's verdict as JSON.
func archiveCheck(
    broker: String, framesTopic: String, eventsTopic: String, _ archiveArguments: [String], waitSeconds: Int
) throws -> (equal: Bool, report: String) {
    let result = try ChildProcess.run(
        "/usr/bin/env",
        [
            "python3", TestEnvironment.script("archive-check.py"), "--bootstrap", broker, "--frames-topic",
            framesTopic, "--events-topic", eventsTopic, "--wait-seconds", String(waitSeconds),
        ] + archiveArguments, timeout: Double(waitSeconds + 120))
    return (result.status == 0, result.stdout + result.stderr)
}

/// One SQL query of docs/archive.md, found by its `<!-- sql: NAME -->` marker.
func documentedSQL(_ name: String) throws -> String {
    let text = try String(
        contentsOf: TestEnvironment.packageRoot.appendingPathComponent("docs/archive.md"), encoding: .utf8)
    guard let marker = text.range(of: "<!-- sql: \(name) -->"),
        let open = text.range(of: "```sql\n", range: marker.upperBound..<text.endIndex),
        let close = text.range(of: "```", range: open.upperBound..<text.endIndex)
    else { throw TestEnvironment.MissingResource(description: "docs/archive.md has no query '\(name)'") }
    return String(text[open.upperBound..<close.lowerBound])
}
