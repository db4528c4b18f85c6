import Foundation
import TestSupport

/// The 32-stream sample configuration (config/sample-pipeline.yaml, as shipped) pointed at a test broker and topics
/// of its own, with an `alerts:` section of the test's: what the alerts' process tests run.
struct AlertsSample {
    let broker: String
    let framesTopic: String
    let eventsTopic: String
    let directory: URL

    init(broker: String, directory: URL) {
        self.broker = broker
        framesTopic = KafkaBroker.uniqueTopic("alerts-frames")
        eventsTopic = KafkaBroker.uniqueTopic("alerts-events")
        self.directory = directory
    }

    /// The sample's text with this test's broker and topics, and `alerts` instead of the sample's alerts section.
    func configuration(alerts: String, label: String) throws -> URL {
        var text = try SampleConfiguration.text(broker: broker, framesTopic: framesTopic, eventsTopic: eventsTopic)
        guard let section = text.range(of: "\nalerts:\n") else {
            throw TestEnvironment.MissingResource(description: "config/sample-pipeline.yaml has no alerts: section")
        }
        text = String(text[..<section.lowerBound]) + "\n" + alerts
        let file = directory.appendingPathComponent("sample-\(label).yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// scripts/alerts-check.py: the independent computation against what the receivers, MQTT and the topic got.
    func check(configuration: URL, _ arguments: [String]) throws -> (ok: Bool, report: String) {
        let result = try ChildProcess.run(
            "/usr/bin/env",
            [
                "python3", TestEnvironment.script("alerts-check.py"), "--bootstrap", broker, "--config",
                configuration.path,
            ]
                + arguments, timeout: 300)
        return (result.status == 0, result.stdout + result.stderr)
    }
}

/// scripts/alert-receiver.py on a free port, recording every attempt to `record`.
func startReceiver(
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
func lines(of file: URL) -> [String] {
    ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
}
