import Foundation
import TestSupport
import Testing

/// The pipeline publishing to a real broker process, checked by independent consumers (kcat, Python jsonschema,
/// FFmpeg's JPEG decoder).
@Suite("Pipeline to Kafka", .serialized, .timeLimit(.minutes(3)))
struct KafkaPipelineTests {
    struct Accounting: Equatable {
        var produced: Int, written: Int, failed: Int, dropped: Int, pending: Int
    }

    /// The Kafka accounting of the pipeline's final log line.
    static func finalAccounting(_ stderr: String) -> Accounting? {
        guard let line = stderr.split(separator: "\n").last(where: { $0.contains("pipeline stopped") }),
            let range = line.range(of: "kafka=")
        else { return nil }
        let numbers = line[range.upperBound...].split(separator: " ").prefix(16).compactMap { Int($0) }
        guard numbers.count >= 5 else { return nil }
        return Accounting(
            produced: numbers[0], written: numbers[1], failed: numbers[2], dropped: numbers[3], pending: numbers[4])
    }

    struct TopicReport: Decodable {
        var messages: Int
        var invalid: [String]
        var key_mismatch: Int
        var frame_ids: [String: [Int]]
        var jpeg_sizes: [String: Int]
        var bad_jpeg: Int
        var jpeg_decoded: Int
        var jpeg_decode_errors: String
    }

    /// Reads the whole topic with kcat and checks it with scripts/check-messages.py.
    static func readTopic(_ topic: String, broker: String, directory: URL) throws -> TopicReport {
        let dump = directory.appendingPathComponent("\(topic).jsonl")
        let kcat = try ChildProcess.run(
            "/bin/sh",
            [
                "-c",
                "\(KafkaBroker.kcat) -C -b \(broker) -t \(topic) -o beginning -e -J -q -X fetch.max.bytes=52428800 -X receive.message.max.bytes=104857600 > \(dump.path)",
            ],
            timeout: 60)
        #expect(kcat.status == 0, "\(kcat.stderr)")
        let schema = TestEnvironment.packageRoot.appendingPathComponent("docs/message.schema.json").path
        let check = try ChildProcess.run(
            "/bin/sh",
            ["-c", "python3 \(TestEnvironment.script("check-messages.py")) --schema \(schema) < \(dump.path)"],
            timeout: 120)
        #expect(check.status == 0, "\(check.stderr)")
        return try JSONDecoder().decode(TopicReport.self, from: Data(check.stdout.utf8))
    }

    private func makeRun(_ yaml: String) throws -> (directory: URL, config: URL) {
        let directory = try TestEnvironment.makeTemporaryDirectory("kafka-pipeline")
        let config = directory.appendingPathComponent("pipeline.yaml")
        try yaml.write(to: config, atomically: true, encoding: .utf8)
        return (directory, config)
    }

    private func startPipeline(_ run: (directory: URL, config: URL)) throws -> ChildProcess {
        try ChildProcess(
            try TestEnvironment.executable("realtime-analytics"), ["--config", run.config.path],
            directory: run.directory, label: "pipeline")
    }

    @Test(
        "4 streams for 6 s with previews: every message validates, keys are stream ids, ids increase, every JPEG decodes at the working size",
        arguments: BrokerKind.allCases
    )
    func previewsEndToEnd(_ kind: BrokerKind) throws {
        let (broker, owned) = try KafkaBroker.addressForTest(kind)
        defer { _ = owned }
        let topic = KafkaBroker.uniqueTopic("previews")
        let run = try makeRun(
            """
            streams:
              - {id: "cam-{n}", count: 4, url: "\(try TestEnvironment.sample("vtest.avi"))", loop: true}
            pipeline: {width: 640, detect_fps: 5, status_interval_s: 2}
            kafka: {enabled: true, bootstrap_servers: "\(broker)", topic: \(topic), include_frames: true, frame_quality: 75}
            """)
        defer { try? FileManager.default.removeItem(at: run.directory) }
        let pipeline = try startPipeline(run)
        Thread.sleep(forTimeInterval: 6)
        let stop = pipeline.stop(signal: SIGTERM, waitingAtMost: 10)
        #expect(stop.status == 0, "\(pipeline.stderr)")
        let accounting = try #require(Self.finalAccounting(pipeline.stderr), "\(pipeline.stderr)")
        #expect(accounting.pending == 0 && accounting.failed == 0 && accounting.dropped == 0)
        #expect(accounting.produced >= 60, "4 streams x 5 fps for at least 3 of the 6 s")

        let report = try Self.readTopic(topic, broker: broker, directory: run.directory)
        #expect(report.messages == accounting.written, "every delivered message is on the topic, no more")
        #expect(report.invalid.isEmpty, "\(report.invalid.prefix(3))")
        #expect(report.key_mismatch == 0)
        #expect(Set(report.frame_ids.keys) == ["cam-1", "cam-2", "cam-3", "cam-4"])
        for (stream, ids) in report.frame_ids {
            #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 }, "\(stream) frame ids must increase")
        }
        #expect(report.jpeg_sizes == ["640x480": report.messages])
        #expect(report.bad_jpeg == 0 && report.jpeg_decoded == report.messages && report.jpeg_decode_errors.isEmpty)
    }

    @Test(
        "broker unreachable at start, then a 10 s outage mid-run: no crash, one warning, delivery resumes within 5 s of the broker's return, nothing failed or dropped, the topic holds every message but what the killed broker loses",
        arguments: BrokerKind.allCases
    )
    func brokerOutage(_ kind: BrokerKind) throws {
        let port = try TestEnvironment.freePort()
        let topic = KafkaBroker.uniqueTopic("outage")
        let run = try makeRun(
            """
            streams:
              - {id: "cam-{n}", count: 4, url: "\(try TestEnvironment.sample("vtest.avi"))", loop: true}
            pipeline: {width: 320, detect_fps: 5, status_interval_s: 1}
            kafka:
              {enabled: true, bootstrap_servers: "127.0.0.1:\(port)", topic: \(topic), include_frames: true,
               properties: {enable.idempotence: "false"}}
            """)
        // Idempotence off: the test broker forgets producer ids when it restarts, hands the replacement producer the
        // same id again and acknowledges its first messages as duplicates without storing them (real Kafka keeps
        // producer state), which would hide the pipeline's accounting behind the broker's.
        defer { try? FileManager.default.removeItem(at: run.directory) }
        let pipeline = try startPipeline(run)
        #expect(
            ChildProcess.waitUntil(atMost: 15) { pipeline.stderr.contains("Kafka: cannot reach 127.0.0.1:\(port)") },
            "\(pipeline.stderr)")

        let broker = try KafkaBroker(kind, port: port)
        func written() -> Int {
            let line = pipeline.stderr.split(separator: "\n").last { $0.hasPrefix("status") } ?? ""
            guard let range = line.range(of: "kafka ") else { return 0 }
            return Int(line[range.upperBound...].prefix { $0.isNumber }) ?? 0
        }
        #expect(
            ChildProcess.waitUntil(atMost: 20) { written() > 20 },
            "delivery starts once the broker appears: \(pipeline.stderr.suffix(1500))")

        // What the broker acknowledged in the 2 s before the kill: noida-db loses up to its last second of them.
        let twoSecondsBeforeKill = written()
        Thread.sleep(forTimeInterval: 2)
        broker.stop()
        Thread.sleep(forTimeInterval: 10)
        #expect(pipeline.isRunning, "the pipeline survives the outage")
        let beforeRestart = written()
        try broker.start()
        let restarted = Date()
        // librdkafka's reconnect backoff is capped at 1 s (the product's default), so delivery resumes promptly.
        #expect(
            ChildProcess.waitUntil(atMost: 5) { written() > beforeRestart + 20 },
            "delivery resumes within 5 s: \(pipeline.stderr.suffix(1500))")
        let resumedAfter = Date().timeIntervalSince(restarted)

        let stop = pipeline.stop(signal: SIGTERM, waitingAtMost: 10)
        #expect(stop.status == 0)
        let accounting = try #require(Self.finalAccounting(pipeline.stderr), "\(pipeline.stderr.suffix(2000))")
        #expect(accounting.pending == 0)
        #expect(accounting.produced == accounting.written + accounting.failed + accounting.dropped)
        // Both outages were shorter than message.timeout.ms (30 s) and the local queue held them: nothing failed,
        // nothing dropped.
        #expect(accounting.failed == 0 && accounting.dropped == 0, "\(accounting)")
        // An independent consumer finds on the topic what the pipeline counted as written (a retry after a lost
        // acknowledgement may write a message twice: each distinct frame counts once), minus what the killed broker
        // itself loses: noida-db is not durable against SIGKILL and loses up to its last second of acknowledged
        // writes (bounded here by what it acknowledged in the 2 s before the kill); Tansu keeps messages in memory
        // and loses every one acknowledged before the kill, and nothing after the restart.
        let report = try Self.readTopic(topic, broker: "127.0.0.1:\(port)", directory: run.directory)
        let distinct = report.frame_ids.values.map { Set($0).count }.reduce(0, +)
        let lostByBroker = accounting.written - distinct
        #expect(
            distinct <= accounting.written,
            "\(distinct) distinct frames on the topic, \(accounting.written) counted written")
        switch kind {
        case .noida:
            #expect(
                lostByBroker <= beforeRestart - twoSecondsBeforeKill,
                "noida-db lost \(lostByBroker) acknowledged messages; it acknowledged \(beforeRestart - twoSecondsBeforeKill) in the 2 s before the kill"
            )
        case .tansu:
            #expect(
                distinct == accounting.written - beforeRestart,
                "\(distinct) distinct frames on the topic; the restarted Tansu acknowledged \(accounting.written - beforeRestart)"
            )
        }
        // Two outages (absent at start, killed mid-run): one warning each, not one per retry.
        let warnings = pipeline.stderr.components(separatedBy: "Kafka: cannot reach").count - 1
        #expect(warnings == 2, "\(warnings) warnings for two outages")
        print(
            "fault: broker absent at start, then killed for 10 s mid-run; held: no crash, delivery resumed \(String(format: "%.1f", resumedAfter)) s after the broker's return (\(beforeRestart) written before the restart), exit \(stop.status.map(String.init) ?? "?"), \(accounting.produced) produced = \(accounting.written) written + \(accounting.failed) failed + \(accounting.dropped) dropped, 0 pending; \(distinct) distinct frames on the topic (\(lostByBroker) lost by the killed \(kind), of \(beforeRestart - twoSecondsBeforeKill) acknowledged in its last 2 s and \(beforeRestart) in all; \(report.messages) messages), \(warnings) warnings"
        )
    }

    @Test("SIGTERM under load: flush, exit within 10 s, nothing left uncounted", arguments: BrokerKind.allCases)
    func sigtermUnderLoad(_ kind: BrokerKind) throws {
        let (broker, owned) = try KafkaBroker.addressForTest(kind)
        defer { _ = owned }
        let topic = KafkaBroker.uniqueTopic("load")
        let run = try makeRun(
            """
            streams:
              - {id: "cam-{n}", count: 32, url: "\(try TestEnvironment.sample("vtest.avi"))", loop: true}
            pipeline: {width: 640, detect_fps: 0, status_interval_s: 1}
            kafka: {enabled: true, bootstrap_servers: "\(broker)", topic: \(topic), include_frames: true}
            """)
        defer { try? FileManager.default.removeItem(at: run.directory) }
        let pipeline = try startPipeline(run)
        Thread.sleep(forTimeInterval: 4)
        let stop = pipeline.stop(signal: SIGTERM, waitingAtMost: 15)
        #expect(stop.status == 0, "\(pipeline.stderr.suffix(2000))")
        // Within the pipeline's grace (5 s), and no thread left behind: readers, workers, poll loops all joined.
        #expect(stop.seconds < 5, "exit took \(stop.seconds) s")
        #expect(pipeline.stderr.contains("stopped: every thread has ended"), "\(pipeline.stderr.suffix(1500))")
        let accounting = try #require(Self.finalAccounting(pipeline.stderr), "\(pipeline.stderr.suffix(2000))")
        #expect(accounting.produced > 100, "the run must have been under load")
        #expect(accounting.pending == 0)
        #expect(accounting.produced == accounting.written + accounting.failed + accounting.dropped)
        let report = try Self.readTopic(topic, broker: broker, directory: run.directory)
        #expect(report.messages == accounting.written)
        print(
            String(
                format:
                    "fault: SIGTERM after 4 s of 32 streams at full rate with previews; held: exit %d in %.1f s, %d produced = %d written + %d failed + %d dropped, %d on the topic",
                stop.status ?? -1, stop.seconds, accounting.produced, accounting.written, accounting.failed,
                accounting.dropped, report.messages))
    }

    @Test(
        "SIGTERM with no broker: the sinks wait for one within pipeline.shutdown_grace_s less a second, then count what is left as failed"
    )
    func configuredGrace() throws {
        let port = try TestEnvironment.freePort()
        let run = try makeRun(
            """
            streams:
              - {id: "cam-{n}", count: 4, url: "\(try TestEnvironment.sample("vtest.avi"))", loop: true}
            pipeline: {width: 320, detect_fps: 5, status_interval_s: 1, shutdown_grace_s: 3}
            kafka: {enabled: true, bootstrap_servers: "127.0.0.1:\(port)", topic: grace}
            """)
        defer { try? FileManager.default.removeItem(at: run.directory) }
        let pipeline = try startPipeline(run)
        #expect(
            ChildProcess.waitUntil(atMost: 20) { pipeline.stderr.contains("status | 4/4 online") },
            "\(pipeline.stderr.suffix(1000))")
        Thread.sleep(forTimeInterval: 2)
        let stop = pipeline.stop(signal: SIGTERM, waitingAtMost: 15)
        #expect(stop.status == 0, "\(pipeline.stderr.suffix(1500))")
        // The flush waited (a broker could still have come) for the 2 s the grace leaves it, and no longer.
        #expect(stop.seconds >= 1.5 && stop.seconds < 3, "exit took \(stop.seconds) s with shutdown_grace_s 3")
        #expect(pipeline.stderr.contains("stopped: every thread has ended"), "\(pipeline.stderr.suffix(1500))")
        let accounting = try #require(Self.finalAccounting(pipeline.stderr), "\(pipeline.stderr.suffix(2000))")
        #expect(accounting.produced > 0 && accounting.written == 0 && accounting.pending == 0, "\(accounting)")
        #expect(accounting.failed + accounting.dropped == accounting.produced, "\(accounting)")
        print(
            String(
                format:
                    "fault: SIGTERM with no broker, shutdown_grace_s 3; held: exit in %.1f s, %d produced = %d failed",
                stop.seconds, accounting.produced, accounting.failed))
    }

    @Test(
        "a topic the cluster will not create gives a clear error; the pipeline keeps running",
        arguments: BrokerKind.allCases)
    func missingTopic(_ kind: BrokerKind) throws {
        let (broker, owned) = try KafkaBroker.addressForTest(kind)
        defer { _ = owned }
        let topic = KafkaBroker.uniqueTopic("absent")
        let run = try makeRun(
            """
            streams:
              - {id: cam, url: "\(try TestEnvironment.sample("vtest.avi"))", loop: true}
            # Nothing can be delivered: the stop's flush waits out its budget (the grace less a second).
            pipeline: {shutdown_grace_s: 2}
            kafka:
              enabled: true
              bootstrap_servers: "\(broker)"
              topic: \(topic)
              properties: {allow.auto.create.topics: "false", message.timeout.ms: "5000"}
            """)
        defer { try? FileManager.default.removeItem(at: run.directory) }
        let pipeline = try startPipeline(run)
        let reported = ChildProcess.waitUntil(atMost: 20) {
            pipeline.stderr.contains("Kafka topic '\(topic)' does not exist on \(broker)")
        }
        #expect(reported, "\(pipeline.stderr)")
        #expect(pipeline.stderr.contains("create it"))
        #expect(pipeline.isRunning)
        pipeline.stop()
        print(
            "fault: publishing to a topic the cluster will not create; held: one clear error naming the topic and the fix, the pipeline kept running"
        )
    }

    @Test("a property librdkafka rejects is a one-line configuration error, exit 2")
    func badProperty() throws {
        let run = try makeRun(
            """
            streams:
              - {id: cam, url: /tmp/x.mp4}
            kafka: {enabled: true, properties: {compression.type: zip}}
            """)
        defer { try? FileManager.default.removeItem(at: run.directory) }
        let result = try ChildProcess.run(
            try TestEnvironment.executable("realtime-analytics"), ["validate", "--config", run.config.path])
        #expect(result.status == 2)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(
            result.stderr.contains("kafka.properties") && result.stderr.contains("compression.type=zip"),
            "\(result.stderr)")
        print(
            "fault: a librdkafka property it rejects (compression.type=zip); held: exit \(result.status), one line: \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))"
        )
    }
}
