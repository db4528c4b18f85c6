import Foundation
import TestSupport
import Testing

/// Crashes, restarts and readiness, with real processes: the pipeline killed with SIGKILL under load and started
/// again while a real dashboard consumes the topic from a real broker; `/readyz` of both processes.
@Suite("Restarts and readiness", .serialized, .timeLimit(.minutes(4)))
struct RestartTests {
    private func get(_ url: String) throws -> (status: Int, body: String) {
        let result = try ChildProcess.run("/usr/bin/curl", ["-s", "-m", "5", "-w", "\n%{http_code}", url], timeout: 20)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    private func status(_ url: String) -> Int { (try? get(url).status) ?? 0 }

    private func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }

    /// The dashboard's stream views, by id.
    private func streams(_ port: Int) -> [String: [String: Any]] {
        let body = (try? get("http://127.0.0.1:\(port)/api/streams").body) ?? ""
        let list = (json(body)["streams"] as? [[String: Any]]) ?? []
        return Dictionary(list.compactMap { view in (view["id"] as? String).map { ($0, view) } }) { a, _ in a }
    }

    private func runID(in stderr: String) -> String? {
        guard let line = stderr.split(separator: "\n").first(where: { $0.contains("pipeline starting") }),
            let range = line.range(of: "run_id=")
        else { return nil }
        return String(line[range.upperBound...].prefix { !$0.isWhitespace })
    }

    @Test(
        "SIGKILL under load (32 streams, detector, previews) with a dashboard running, then a restart: a new run_id, the board follows the new run within 5 s, every JSON line of both runs parses",
        arguments: BrokerKind.allCases
    )
    func killAndRestart(_ kind: BrokerKind) throws {
        let (broker, owned) = try KafkaBroker.addressForTest(kind)
        defer { _ = owned }
        let topic = KafkaBroker.uniqueTopic("restart")
        let port = try TestEnvironment.freePort()
        let directory = try TestEnvironment.makeTemporaryDirectory("restart")
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("out/results.jsonl")
        let config = directory.appendingPathComponent("config.yaml")
        try """
        streams:
          - {id: "cam-{n}", count: 32, url: "\(try TestEnvironment.sample("vtest.avi"))", loop: true, realtime: true}
        pipeline: {width: 640, detect_fps: 5, status_interval_s: 1}
        model: {path: "\(try TestEnvironment.model("yolov4-tiny-int8.xml"))", classes: [person, car], batch: 2}
        output: {jsonl: {enabled: true, path: "\(output.path)"}}
        kafka: {enabled: true, bootstrap_servers: "\(broker)", topic: \(topic), include_frames: true}
        preview: {max_width: 320, min_interval_ms: 500}
        dashboard: {port: \(port), start_at: newest, group_id: "restart-\(UUID().uuidString.prefix(8))"}
        """.write(to: config, atomically: true, encoding: .utf8)
        let dashboard = try ChildProcess(
            try TestEnvironment.executable("realtime-analytics-dashboard"), ["--config", config.path],
            directory: directory, label: "dashboard")
        defer { dashboard.stop() }
        #expect(KafkaBroker.waitForPort(port, seconds: 20), "\(dashboard.stderr)")
        // The configured streams are on the board before any message: waiting.
        let waiting = streams(port)
        #expect(waiting.count == 32 && waiting.values.allSatisfy { $0["state"] as? String == "waiting" })
        // The topic does not exist before the pipeline's first message: no partition to consume yet.
        #expect(status("http://127.0.0.1:\(port)/readyz") == 503)

        let first = try ChildProcess(
            try TestEnvironment.executable("realtime-analytics"), ["--config", config.path], directory: directory,
            label: "pipeline run 1")
        defer { first.stop() }
        #expect(ChildProcess.waitUntil(atMost: 30) { runID(in: first.stderr) != nil }, "\(first.stderr)")
        let run1 = try #require(runID(in: first.stderr))
        #expect(
            ChildProcess.waitUntil(atMost: 30) {
                let views = streams(port)
                return views.count == 32 && views.values.allSatisfy { $0["run_id"] as? String == run1 }
            }, "every stream on the board from run 1")
        #expect(
            ChildProcess.waitUntil(atMost: 20) { status("http://127.0.0.1:\(port)/readyz") == 200 },
            "the dashboard has its partitions: \(dashboard.stderr.suffix(1000))")
        Thread.sleep(forTimeInterval: 3)  // under load: writes in flight when the kill comes
        _ = first.stop(signal: SIGKILL, waitingAtMost: 10)
        // The producer's window at the kill, from run 1's last status line: what was in flight then, and the JSON
        // lines written after it (status every second).
        let lastStatus = Self.sinkCounts(in: first.stderr)

        let second = try ChildProcess(
            try TestEnvironment.executable("realtime-analytics"), ["--config", config.path], directory: directory,
            label: "pipeline run 2")
        defer { second.stop() }
        #expect(ChildProcess.waitUntil(atMost: 30) { runID(in: second.stderr) != nil }, "\(second.stderr)")
        let run2 = try #require(runID(in: second.stderr))
        #expect(run2 != run1 && run2 > run1, "run ids sort by start: \(run1) then \(run2)")
        // The moment the board shows the new run for every stream; the lag is measured from the new run's first
        // message on the bus (its Kafka timestamp, read back below).
        let started = Date()
        var followedAt: Date?
        var followed = false
        while Date().timeIntervalSince(started) < 30 {
            let views = streams(port)
            let onNewRun = views.values.filter { $0["run_id"] as? String == run2 }
            if views.count == 32 && onNewRun.count == 32 {
                followed = onNewRun.allSatisfy { ($0["restarts"] as? Int) == 1 }
                followedAt = Date()
                break
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(followed, "every stream shows run 2 with one restart seen")
        let stop = second.stop(signal: SIGTERM, waitingAtMost: 10)
        #expect(stop.status == 0, "\(second.stderr.suffix(1500))")

        // Every line of both runs parses (a torn line from the kill was cut at the restart), run 1 before run 2.
        let lines = try JSONLines.read(output)
        let runs = lines.compactMap { $0["run_id"] as? String }
        #expect(runs.count == lines.count && lines.count > 100)
        #expect(Set(runs) == [run1, run2])
        #expect(runs.firstIndex(of: run2)! > runs.lastIndex(of: run1)!, "run 1's lines, then run 2's")
        #expect(
            lines.allSatisfy {
                ($0["tracks"] as? [[String: Any]])?.allSatisfy { ($0["track_id"] as? Int ?? -1) >= 1 } ?? false
            }, "tracked objects carry ids from 1 within each run")
        // The topic, read by an independent consumer, validates against the schema with the run ids.
        let report = try KafkaPipelineTests.readTopic(topic, broker: broker, directory: directory)
        #expect(report.invalid.isEmpty, "\(report.invalid.prefix(3))")
        let envelopes = try JSONLines.read(directory.appendingPathComponent("\(topic).jsonl"))
        let onTopic = envelopes.compactMap { envelope -> (run: String, stream: String, frame: Int, ts: Int)? in
            guard let payload = envelope["payload"] as? String,
                let message = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any],
                let run = message["run_id"] as? String, let stream = message["stream"] as? String,
                let frame = message["frame_id"] as? Int
            else { return nil }
            return (run, stream, frame, envelope["ts"] as? Int ?? 0)
        }
        let firstOnBus = try #require(onTopic.filter { $0.run == run2 }.map(\.ts).min(), "run 2 on the topic")
        let lag = (followedAt?.timeIntervalSince1970 ?? .infinity) - Double(firstOnBus) / 1000
        #expect(lag < 5, "the board showed the new run on every stream \(lag) s after its first message on the bus")

        // The SIGKILL lost nothing written: every JSON line of run 1 is on the topic, or was in the producer's window
        // at the kill (in flight at the last status line, or written after it), which is the file's tail.
        let published = Set(onTopic.filter { $0.run == run1 }.map { "\($0.stream)#\($0.frame)" })
        let run1Lines = lines.filter { $0["run_id"] as? String == run1 }.map {
            "\($0["stream"] as? String ?? "")#\($0["frame_id"] as? Int ?? -1)"
        }
        let missing = run1Lines.enumerated().filter { !published.contains($0.element) }
        let window =
            (lastStatus["kafka"]?.pending ?? 0) + max(0, run1Lines.count - (lastStatus["jsonl"]?.written ?? 0))
        #expect(lastStatus["kafka"] != nil && lastStatus["jsonl"] != nil, "run 1's status line: \(lastStatus)")
        #expect(
            missing.allSatisfy { $0.offset >= run1Lines.count - window },
            "JSON lines of run 1 missing from the topic outside the producer's window of \(window): \(missing.prefix(5))"
        )
        print(
            String(
                format:
                    "fault: SIGKILL under load (32 streams, detector, previews), then a restart; held: runs %@ -> %@, the board showed the new run on all 32 streams %.1f s after its first message on the bus, %d JSON lines all parse, %d messages on the topic valid; of run 1's %d JSON lines %d were not on the topic, all in the producer's window at the kill (%d: %d in flight at the last status line + the lines after it) on %@",
                run1, run2, lag, lines.count, report.messages, run1Lines.count, missing.count, window,
                lastStatus["kafka"]?.pending ?? -1, kind.description))
    }

    /// Each sink's `NAME N written, M pending` counts from the last status line in `stderr`.
    static func sinkCounts(in stderr: String) -> [String: (written: Int, pending: Int)] {
        guard
            let line = stderr.split(separator: "\n").last(where: { $0.hasPrefix("status") && $0.contains(" pending") })
        else { return [:] }
        var counts: [String: (written: Int, pending: Int)] = [:]
        let words = line.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "|" || $0 == ";" }).map(String.init)
        for index in words.indices.dropFirst().dropLast(3)
        where words[index + 1] == "written" && words[index + 3] == "pending" {
            if let written = Int(words[index]), let pending = Int(words[index + 2]) {
                counts[words[index - 1]] = (written, pending)
            }
        }
        return counts
    }

    /// Starts the package's `executable` with `yaml` as its configuration file, written to `directory`.
    private func start(
        _ name: String, _ yaml: String, in directory: URL, executable: String = "realtime-analytics"
    ) throws -> ChildProcess {
        let config = directory.appendingPathComponent("\(name).yaml")
        try yaml.write(to: config, atomically: true, encoding: .utf8)
        return try ChildProcess(
            try TestEnvironment.executable(executable), ["--config", config.path], directory: directory, label: name)
    }

    @Test(
        "/readyz without a broker: the pipeline answers 503 naming a missing source and the unreachable broker, the dashboard 503 naming the broker and the missing partition"
    )
    func readinessWithoutBroker() throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("readyz")
        defer { try? FileManager.default.removeItem(at: directory) }
        let vtest = try TestEnvironment.sample("vtest.avi")
        let deadPort = try TestEnvironment.freePort()
        // A missing source and no broker: not ready, and the body says why.
        let metricsPort = try TestEnvironment.freePort()
        let broken = try start(
            "broken",
            """
            streams:
              - {id: good, url: "\(vtest)", loop: true}
              - {id: missing, url: "\(directory.path)/no-such-camera.mp4"}
            metrics: {enabled: true, port: \(metricsPort)}
            kafka: {enabled: true, bootstrap_servers: "127.0.0.1:\(deadPort)", topic: t}
            """, in: directory)
        defer { broken.stop() }
        #expect(KafkaBroker.waitForPort(metricsPort, seconds: 20), "\(broken.stderr)")
        var answer = (status: 0, body: "")
        _ = ChildProcess.waitUntil(atMost: 15) {
            answer = (try? get("http://127.0.0.1:\(metricsPort)/readyz")) ?? (0, "")
            let problems = (json(answer.body)["problems"] as? [String]) ?? []
            return problems.contains { $0.hasPrefix("kafka: no broker answers") }
                && problems.contains { $0.contains("streams: 1 of 2") }
        }
        #expect(answer.status == 503, "\(answer.body)")
        let report = json(answer.body)
        #expect(report["status"] as? String == "not ready")
        let states = ((report["streams"] as? [[String: Any]]) ?? []).reduce(into: [String: String]()) {
            $0[$1["id"] as? String ?? ""] = $1["state"] as? String
        }
        #expect(states["good"] == "online" && states["missing"] != "online", "\(answer.body)")
        let missing = ((report["streams"] as? [[String: Any]]) ?? []).first { $0["id"] as? String == "missing" }
        #expect((missing?["reason"] as? String)?.contains("no-such-camera.mp4") == true, "\(answer.body)")
        #expect(try get("http://127.0.0.1:\(metricsPort)/healthz").status == 200, "liveness stays cheap and 200")
        print(
            "fault: a missing source and an unreachable broker; held: /readyz 503 with \(report["problems"] ?? "")")
        broken.stop()

        // The dashboard: not ready without a broker.
        let lonelyPort = try TestEnvironment.freePort()
        let lonely = try start(
            "lonely",
            """
            kafka: {bootstrap_servers: "127.0.0.1:\(deadPort)", topic: t}
            dashboard: {port: \(lonelyPort)}
            """, in: directory, executable: "realtime-analytics-dashboard")
        defer { lonely.stop() }
        #expect(KafkaBroker.waitForPort(lonelyPort, seconds: 20), "\(lonely.stderr)")
        var lonelyAnswer = (status: 0, body: "")
        _ = ChildProcess.waitUntil(atMost: 15) {
            lonelyAnswer = (try? get("http://127.0.0.1:\(lonelyPort)/readyz")) ?? (0, "")
            return lonelyAnswer.body.contains("kafka: no broker answers")
        }
        #expect(lonelyAnswer.status == 503 && lonelyAnswer.body.contains("no partition"), "\(lonelyAnswer.body)")
        print("fault: dashboard with no broker; held: /readyz 503 (\(lonelyAnswer.body.prefix(160)))")
    }

    @Test(
        "/readyz with a broker: the pipeline and the dashboard answer 200 once a broker and a partition are there",
        arguments: BrokerKind.allCases)
    func readiness(_ kind: BrokerKind) throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("readyz")
        defer { try? FileManager.default.removeItem(at: directory) }
        let vtest = try TestEnvironment.sample("vtest.avi")

        // The source fixed and a broker: ready.
        let (broker, owned) = try KafkaBroker.addressForTest(kind)
        defer { _ = owned }
        let readyTopic = KafkaBroker.uniqueTopic("ready")
        let goodPort = try TestEnvironment.freePort()
        let dashboardPort = try TestEnvironment.freePort()
        let healthy = try start(
            "healthy",
            """
            streams:
              - {id: good, url: "\(vtest)", loop: true}
            metrics: {enabled: true, port: \(goodPort)}
            kafka: {enabled: true, bootstrap_servers: "\(broker)", topic: \(readyTopic)}
            """, in: directory)
        defer { healthy.stop() }
        #expect(
            ChildProcess.waitUntil(atMost: 20) { status("http://127.0.0.1:\(goodPort)/readyz") == 200 },
            "\((try? get("http://127.0.0.1:\(goodPort)/readyz").body) ?? "") \(healthy.stderr.suffix(800))")

        // The dashboard with a broker: ready once it joined its group.
        let dashboard = try start(
            "dashboard",
            """
            kafka: {bootstrap_servers: "\(broker)", topic: \(readyTopic)}
            dashboard: {port: \(dashboardPort), group_id: "ready-\(UUID().uuidString.prefix(8))"}
            """, in: directory, executable: "realtime-analytics-dashboard")
        defer { dashboard.stop() }
        #expect(
            ChildProcess.waitUntil(atMost: 30) { status("http://127.0.0.1:\(dashboardPort)/readyz") == 200 },
            "\((try? get("http://127.0.0.1:\(dashboardPort)/readyz").body) ?? "") \(dashboard.stderr.suffix(800))")
        print("readiness on \(kind): the pipeline and the dashboard answer 200 once a broker and a partition are there")
    }

    @Test("FFmpeg's own lines go through the logger with the stream id, the same line at most once per 30 s")
    func ffmpegLog() throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("ffmpeg-log")
        defer { try? FileManager.default.removeItem(at: directory) }
        let deadPort = try TestEnvironment.freePort()
        let config = directory.appendingPathComponent("config.yaml")
        try """
        streams:
          - {id: door-cam, url: "rtsp://127.0.0.1:\(deadPort)/stream"}
        pipeline: {reconnect: {initial_backoff_ms: 100, max_backoff_ms: 200}}
        """.write(to: config, atomically: true, encoding: .utf8)
        let pipeline = try ChildProcess(
            try TestEnvironment.executable("realtime-analytics"), ["--config", config.path], directory: directory,
            label: "pipeline")
        defer { pipeline.stop() }
        #expect(ChildProcess.waitUntil(atMost: 15) { pipeline.stderr.contains("FFmpeg: ") }, "\(pipeline.stderr)")
        Thread.sleep(forTimeInterval: 4)  // dozens of retries at 100-200 ms
        pipeline.stop()
        let lines = pipeline.stderr.split(separator: "\n").filter { $0.contains("FFmpeg: ") }
        #expect(!pipeline.stderr.contains(" @ 0x"), "no raw FFmpeg line on stderr: \(pipeline.stderr.prefix(800))")
        #expect(lines.allSatisfy { $0.contains("stream=door-cam") }, "\(lines)")
        #expect(lines.contains { $0.contains("127.0.0.1:\(deadPort)") }, "\(lines)")
        #expect(
            Set(lines.map { $0.split(separator: "FFmpeg: ").last ?? "" }).count == lines.count,
            "each line once: \(lines)")
        let retries = pipeline.stderr.components(separatedBy: "stream offline").count - 1
        print(
            "fault: an RTSP source refusing connections, retried every 100-200 ms; held: \(lines.count) FFmpeg line(s) in the log, each once, with the stream id (\(retries) offline reports)"
        )
    }

    @Test("--version on every executable; the README's plain run command works where the output folder is missing")
    func versionAndFirstRun() throws {
        // The librdkafka the build was linked against (make test's PKG_CONFIG_PATH: set-up's 2.16, or the system's
        // with RDKAFKA=system) is the one the binaries run with, found through their rpath.
        let built = try ChildProcess.run("/usr/bin/env", ["pkg-config", "--modversion", "rdkafka"], timeout: 20)
        let librdkafka = built.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(built.status == 0 && !librdkafka.isEmpty, "\(built.stderr)")
        for name in ["realtime-analytics", "realtime-analytics-dashboard", "realtime-analytics-bench"] {
            let result = try ChildProcess.run(try TestEnvironment.executable(name), ["--version"], timeout: 20)
            #expect(result.status == 0 && result.stdout.contains("message schema 2"), "\(name): \(result.stdout)")
            #expect(
                result.stdout.contains("librdkafka \(librdkafka)"),
                "\(name): \(result.stdout), built with \(librdkafka)")
        }
        let directory = try TestEnvironment.makeTemporaryDirectory("first-run")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("config/pipeline.yaml")
        try FileManager.default.createDirectory(
            at: config.deletingLastPathComponent(), withIntermediateDirectories: true)
        try """
        streams:
          - {id: cam, url: "\(try TestEnvironment.sample("vtest.avi"))", realtime: false}
        pipeline: {detect_fps: 0}
        output: {jsonl: {enabled: true, path: ../var/out.jsonl}}
        """.write(to: config, atomically: true, encoding: .utf8)
        let result = try ChildProcess.run(
            try TestEnvironment.executable("realtime-analytics"), ["--config", config.path], timeout: 120)
        #expect(result.status == 0, "\(result.stderr.suffix(1000))")
        let lines = try JSONLines.read(directory.appendingPathComponent("var/out.jsonl"))
        // As fast as it decodes (not the clip's 80 s at its own pace): every frame of the clip, published.
        #expect(
            lines.count == 795, "a file source read to its end, every one of its 795 frames published: \(lines.count)")
    }
}
