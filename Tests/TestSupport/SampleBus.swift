import Foundation

/// The shipped 32-stream sample (config/sample-pipeline.yaml) on a test broker with frames and events topics of its
/// own, and the configurations its consumers' process tests run on those topics: the alerts process with the test's
/// `alerts:` section, and the archive with the test's database.
public struct SampleBus: Sendable {
    public let broker: String
    public let framesTopic: String
    public let eventsTopic: String
    public let directory: URL

    public init(broker: String, directory: URL) {
        self.broker = broker
        framesTopic = KafkaBroker.uniqueTopic("sample-frames")
        eventsTopic = KafkaBroker.uniqueTopic("sample-events")
        self.directory = directory
    }

    /// The sample's text with this bus's broker and topics, and `alerts` instead of the sample's alerts section.
    public func alertsConfiguration(alerts: String, label: String) throws -> URL {
        var text = try SampleConfiguration.text(broker: broker, framesTopic: framesTopic, eventsTopic: eventsTopic)
        guard let section = text.range(of: "\nalerts:\n") else {
            throw TestEnvironment.MissingResource(description: "config/sample-pipeline.yaml has no alerts: section")
        }
        text = String(text[..<section.lowerBound]) + "\n" + alerts
        return try write(text, label: label)
    }

    /// The sample's text with this bus's broker and topics, the dashboard's and the archive's ports and `archiveURL`.
    public func archiveConfiguration(
        archiveURL: String, archivePort: Int, dashboardPort: Int, label: String
    ) throws
        -> URL
    {
        let text = try SampleConfiguration.text(
            broker: broker, framesTopic: framesTopic, eventsTopic: eventsTopic,
            more: [
                ("  port: 8080", "  port: \(dashboardPort)"),
                ("url: sqlite:../var/archive.sqlite", "url: \"\(archiveURL)\"\n  status_interval_s: 1"),
                ("  port: 9465", "  port: \(archivePort)"),
            ])
        return try write(text, label: label)
    }

    private func write(_ text: String, label: String) throws -> URL {
        let file = directory.appendingPathComponent("sample-\(label).yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// scripts/alerts-check.py: the independent computation against what the receivers, MQTT and the topic got.
    public func alertsCheck(configuration: URL, _ arguments: [String]) throws -> (ok: Bool, report: String) {
        let result = try ChildProcess.run(
            "/usr/bin/env",
            [
                "python3", TestEnvironment.script("alerts-check.py"), "--bootstrap", broker, "--config",
                configuration.path,
            ]
                + arguments, timeout: 300)
        return (result.status == 0, result.stdout + result.stderr)
    }

    /// scripts/archive-check.py against one archive (`--sqlite PATH` or `--postgres URL`) of this bus's topics.
    public func archiveCheck(
        _ archiveArguments: [String], waitSeconds: Int = 120
    ) throws -> (
        equal: Bool, report: String
    ) {
        try TestSupport.archiveCheck(
            broker: broker, framesTopic: framesTopic, eventsTopic: eventsTopic, archiveArguments,
            waitSeconds: waitSeconds)
    }
}

/// scripts/archive-check.py against one archive (`--sqlite PATH` or `--postgres URL`) of these topics: the
/// independent reader's verdict as JSON.
public func archiveCheck(
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
public func documentedSQL(_ name: String) throws -> String {
    let text = try String(
        contentsOf: TestEnvironment.packageRoot.appendingPathComponent("docs/archive.md"), encoding: .utf8)
    guard let marker = text.range(of: "<!-- sql: \(name) -->"),
        let open = text.range(of: "```sql\n", range: marker.upperBound..<text.endIndex),
        let close = text.range(of: "```", range: open.upperBound..<text.endIndex)
    else { throw TestEnvironment.MissingResource(description: "docs/archive.md has no query '\(name)'") }
    return String(text[open.upperBound..<close.lowerBound])
}

/// scripts/alert-receiver.py on a free port, recording every attempt to `record`.
public func startReceiver(
    secret: String, refuse: Int = 0, always: Int? = nil, record: URL, directory: URL, label: String
) throws -> (process: ChildProcess, port: Int) {
    let port = try TestEnvironment.freePort()
    var arguments = [
        "python3", TestEnvironment.script("alert-receiver.py"), "--port", String(port), "--secret", secret,
        "--refuse", String(refuse), "--record", record.path, "--quiet",
    ]
    if let always { arguments += ["--always", String(always)] }
    let process = try ChildProcess("/usr/bin/env", arguments, directory: directory, label: label)
    guard KafkaBroker.waitForPort(port, seconds: 10) else {
        throw TestEnvironment.MissingResource(description: "the test receiver did not listen: \(process.stderr)")
    }
    return (process, port)
}

/// Lines of a file (empty when it does not exist yet).
public func lines(of file: URL) -> [String] {
    ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
}
