import Foundation
import Kafka
import Logging
import TestSupport
import Testing

/// The alerts process over scripted frames: receivers that refuse, a broker that is not there, silence, and the
/// command's one-line errors.
@Suite("Alerts faults", .serialized, .timeLimit(.minutes(5)))
struct AlertsFaultTests {
    static let logger = Logger(label: "alerts-fault-tests")

    /// A frame message of `stream` at `ms` with `people` in the zone `path`.
    static func frame(_ stream: String, _ id: Int, ms: Int64, people: Int) -> String {
        #"{"stream":"\#(stream)","frame_id":\#(id),"run_id":"run-1","timestamp_ms":\#(ms),"width":640,"height":480,"tracks":[],"zones":{"path":{"person":\#(people)}}}"#
    }

    static func produce(_ broker: String, topic: String, _ messages: [(key: String, value: String)]) throws {
        let producer = try KafkaProducer(
            properties: KafkaProperties([("bootstrap.servers", broker), ("linger.ms", "5"), ("acks", "all")]),
            logger: logger)
        for message in messages {
            let outcome = Array(message.value.utf8).withUnsafeBytes {
                producer.produce(topic: topic, key: message.key, value: $0)
            }
            guard case .queued = outcome else { throw KafkaError("not queued: \(outcome)") }
        }
        guard producer.flush(waitingAtMost: 30) else { throw KafkaError("the test messages were not delivered") }
        producer.close(waitingAtMost: 5)
    }

    /// Every message of `topic` (kcat, an independent client), as JSON objects.
    static func read(_ broker: String, topic: String) throws -> [[String: Any]] {
        let result = try ChildProcess.run(
            "/bin/sh", ["-c", "\(KafkaBroker.kcat) -C -b \(broker) -t \(topic) -o beginning -e -q"], timeout: 30)
        return result.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    @Test(
        "a receiver answering 400 gets one attempt, one answering 503 its retries, an MQTT broker that is not there none: each notification dead-lettered with the delivery and the error, counted, /readyz names the broker; a silent stream fires stream_down by the clock and resolves with its next frame",
        arguments: BrokerKind.allCases
    )
    func deadLettersAndSilence(_ kind: BrokerKind) throws {
        let (broker, owned) = try KafkaBroker.addressForTest(kind)
        defer { _ = owned }
        let directory = try TestEnvironment.makeTemporaryDirectory("alerts-faults")
        defer { try? FileManager.default.removeItem(at: directory) }
        let frames = KafkaBroker.uniqueTopic("alerts-faults-frames")
        let alertsTopic = KafkaBroker.uniqueTopic("alerts-faults")
        let records = (
            refusing: directory.appendingPathComponent("refusing.jsonl"),
            failing: directory.appendingPathComponent("failing.jsonl"),
            good: directory.appendingPathComponent("good.jsonl")
        )
        let refusing = try startReceiver(
            secret: "s", always: 400, record: records.refusing, directory: directory, label: "refusing")
        let failing = try startReceiver(
            secret: "s", always: 503, record: records.failing, directory: directory, label: "failing")
        let good = try startReceiver(secret: "s", record: records.good, directory: directory, label: "good")
        defer { for receiver in [refusing, failing, good] { _ = receiver.process.stop() } }
        let deadPort = try TestEnvironment.freePort()
        let port = try TestEnvironment.freePort()
        let configuration = directory.appendingPathComponent("alerts.yaml")
        try """
        kafka: {bootstrap_servers: "\(broker)", topic: \(frames)}
        alerts:
          topic: \(alertsTopic)
          dead_letter_topic: \(alertsTopic).dead
          state_path: state.json
          start_at: oldest
          port: \(port)
          deliveries:
            - {name: refusing, type: webhook, url: "http://127.0.0.1:\(refusing.port)/", secret: s, retries: 3, backoff_ms: 50}
            - {name: failing, type: webhook, url: "http://127.0.0.1:\(failing.port)/", secret: s, retries: 2, backoff_ms: 50}
            - {name: nowhere, type: mqtt, host: 127.0.0.1, port: \(deadPort), retries: 0}
            - {name: good, type: webhook, url: "http://127.0.0.1:\(good.port)/", secret: s}
          rules:
            - {name: crowd, type: occupancy, zone: path, min_count: 2, deliveries: [refusing, failing, nowhere]}
            - {name: silent, type: stream_down, for_s: 2, deliveries: [good]}
        """.write(to: configuration, atomically: true, encoding: .utf8)
        let binary = try TestEnvironment.executable("realtime-analytics")
        let alerts = try ChildProcess(
            binary, ["alerts", "--config", configuration.path], directory: directory, label: "alerts")
        defer { _ = alerts.stop() }
        let start = Int64(Date().timeIntervalSince1970 * 1000)
        try Self.produce(
            broker, topic: frames,
            [
                ("cam-1", Self.frame("cam-1", 0, ms: start, people: 2)),
                ("cam-1", Self.frame("cam-1", 1, ms: start + 500, people: 0)),
            ])

        // Two notifications (firing, resolved) × three deliveries, each dead-lettered.
        var dead: [[String: Any]] = []
        _ = ChildProcess.waitUntil(atMost: 60) {
            dead = (try? Self.read(broker, topic: "\(alertsTopic).dead")) ?? []
            return dead.count >= 6
        }
        let byDelivery = Dictionary(grouping: dead) { $0["delivery"] as? String ?? "?" }
        #expect(dead.count == 6, "\(dead)\n\(alerts.stderr.suffix(2000))")
        #expect(byDelivery.mapValues(\.count) == ["refusing": 2, "failing": 2, "nowhere": 2])
        #expect(
            byDelivery["refusing"]?.allSatisfy {
                ($0["attempts"] as? Int) == 1 && "\($0["error"] ?? "")".contains("HTTP 400")
            } == true)
        #expect(
            byDelivery["failing"]?.allSatisfy {
                ($0["attempts"] as? Int) == 3 && "\($0["error"] ?? "")".contains("HTTP 503")
            } == true)
        #expect(byDelivery["nowhere"]?.allSatisfy { "\($0["error"] ?? "")".contains("not connected") } == true)
        let ids = Set(dead.compactMap { ($0["notification"] as? [String: Any])?["id"] as? String })
        #expect(ids == ["crowd/cam-1/path/\(start)/firing", "crowd/cam-1/path/\(start)/resolved"])
        #expect(lines(of: records.refusing).count == 2 && lines(of: records.failing).count == 6)
        let page = fetch("http://127.0.0.1:\(port)/metrics").body
        #expect(metric(page, "alerts_deliveries_total", "result=\"dead_lettered\"") == 6)
        let ready = fetch("http://127.0.0.1:\(port)/readyz")
        #expect(ready.status == 503 && ready.body.contains("delivery nowhere: MQTT 127.0.0.1:\(deadPort)"), "\(ready)")
        // The topic still has both.
        #expect(Set(try Self.read(broker, topic: alertsTopic).compactMap { $0["id"] as? String }) == ids)

        // cam-1 silent since start + 500: stream_down fires by the clock, started 2 s after its last frame.
        var got: [String] = []
        _ = ChildProcess.waitUntil(atMost: 20) {
            got = lines(of: records.good)
            return !got.isEmpty
        }
        let firedAt = Date()
        #expect(got.count == 1 && got[0].contains("\"id\": \"silent/cam-1/-/\(start + 2500)/firing\""), "\(got)")
        let back = Int64(firedAt.timeIntervalSince1970 * 1000)
        try Self.produce(broker, topic: frames, [("cam-1", Self.frame("cam-1", 2, ms: back, people: 0))])
        _ = ChildProcess.waitUntil(atMost: 20) { lines(of: records.good).count >= 2 }
        got = lines(of: records.good)
        #expect(
            got.count == 2 && got.last?.contains("\"id\": \"silent/cam-1/-/\(start + 2500)/resolved\"") == true,
            "\(got)")
        let stopped = alerts.stop(signal: SIGTERM, waitingAtMost: 15)
        #expect(stopped.status == 0, "SIGTERM: \(alerts.stderr.suffix(1500))")
    }

    @Test(
        "the command's errors are one line each: no rules (exit 2), a checkpoint from a newer version, a damaged one, a state path that cannot be written, a metrics port in use (exit 1)"
    )
    func commandErrors() throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("alerts-errors")
        defer { try? FileManager.default.removeItem(at: directory) }
        let binary = try TestEnvironment.executable("realtime-analytics")
        func run(_ yaml: String) throws -> (status: Int32, stderr: String) {
            let file = directory.appendingPathComponent("c.yaml")
            try yaml.write(to: file, atomically: true, encoding: .utf8)
            let result = try ChildProcess.run(binary, ["alerts", "--config", file.path], timeout: 30)
            return (result.status, result.stderr)
        }
        let rule = "  rules: [{name: down, type: stream_down, for_s: 5}]\n"
        let none = try run("kafka: {bootstrap_servers: \"127.0.0.1:1\"}\n")
        #expect(none.status == 2 && none.stderr.contains("alerts.rules is empty; add a rule"), "\(none.stderr)")

        let newer = directory.appendingPathComponent("newer.json")
        try #"{"version": 99}"#.write(to: newer, atomically: true, encoding: .utf8)
        let tooNew = try run(
            "kafka: {bootstrap_servers: \"127.0.0.1:1\"}\nalerts:\n  state_path: \(newer.path)\n" + rule)
        #expect(tooNew.status == 1, "\(tooNew.stderr)")
        #expect(tooNew.stderr.contains("error: the checkpoint \(newer.path) was written by a newer version"))

        let damaged = directory.appendingPathComponent("damaged.json")
        try "{not json".write(to: damaged, atomically: true, encoding: .utf8)
        let bad = try run(
            "kafka: {bootstrap_servers: \"127.0.0.1:1\"}\nalerts:\n  state_path: \(damaged.path)\n" + rule)
        #expect(bad.status == 1 && bad.stderr.contains("is not a checkpoint file; move it away"), "\(bad.stderr)")

        let unwritable = try run(
            "kafka: {bootstrap_servers: \"127.0.0.1:1\"}\nalerts:\n  state_path: /proc/alerts/state.json\n" + rule)
        #expect(unwritable.status == 1 && unwritable.stderr.contains("choose a writable path"), "\(unwritable.stderr)")
        // The metrics port taken by another process: one line, exit 1, at once (not a hang).
        let port = try TestEnvironment.freePort()
        let holder = try ChildProcess(
            "/usr/bin/env", ["python3", "-m", "http.server", String(port), "--bind", "127.0.0.1"], directory: directory,
            label: "port-holder")
        defer { _ = holder.stop() }
        #expect(KafkaBroker.waitForPort(port, seconds: 10))
        let taken = try run(
            "kafka: {bootstrap_servers: \"127.0.0.1:1\"}\nalerts:\n  state_path: \(directory.path)/s.json\n  port: \(port)\n"
                + rule)
        #expect(
            taken.status == 1
                && taken.stderr.contains("error: cannot serve /metrics on 127.0.0.1:\(port): the port is in use"),
            "\(taken.stderr)")
        for result in [tooNew, bad, unwritable, taken] {
            #expect(result.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }.count == 1)
        }
    }
}
