import Foundation
import TestSupport
import Testing

/// The dashboard process against a real broker and pipeline, seen through curl and a real headless browser.
@Suite("Dashboard process", .serialized, .timeLimit(.minutes(5)))
struct DashboardProcessTests {
    static let xssID = "<img src=x onerror=alert(1)>"

    private func curl(_ arguments: [String]) throws -> (status: String, body: String) {
        let result = try ChildProcess.run("/usr/bin/curl", ["-s", "-w", "\n%{http_code}"] + arguments, timeout: 20)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (String(lines.last ?? ""), lines.dropLast().joined(separator: "\n"))
    }

    /// Writes a few messages that carry tracks, one with a class name carrying HTML (this test's pipeline runs
    /// without a detector, so its own messages have none).
    private func produceTrackMessages(broker: String, topic: String, directory: URL) throws {
        let lines = (0..<20).map { frame in
            #"{"stream":"annotated-1","frame_id":\#(frame),"timestamp_ms":\#(Int64(Date().timeIntervalSince1970 * 1000)),"width":640,"height":480,"schema_version":1,"tracks":[{"track_id":7,"class_id":0,"class_name":"person","confidence":0.91,"bbox_xyxy":[105.2,88.7,240.5,320.1]},{"track_id":9,"class_id":2,"class_name":"<img src=x onerror=alert(2)>","confidence":0.88,"bbox_xyxy":[300,200,420,290]}]}"#
        }
        let file = directory.appendingPathComponent("tracks.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        let result = try ChildProcess.run(
            "/bin/sh", ["-c", "\(KafkaBroker.kcat) -P -b \(broker) -t \(topic) -k annotated-1 -l \(file.path)"],
            timeout: 30)
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test(
        "a real browser shows live thumbnails and track rows within 20 s; a hostile stream id is shown as text; the API, health, metrics and token work",
        arguments: BrokerKind.allCases
    )
    func browserSeesTheDashboard(_ kind: BrokerKind) throws {
        let (broker, owned) = try KafkaBroker.addressForTest(kind)
        defer { _ = owned }
        let topic = KafkaBroker.uniqueTopic("dashboard")
        let port = try TestEnvironment.freePort()
        let directory = try TestEnvironment.makeTemporaryDirectory("dashboard")
        defer { try? FileManager.default.removeItem(at: directory) }
        let vtest = try TestEnvironment.sample("vtest.avi")
        let config = directory.appendingPathComponent("config.yaml")
        try """
        streams:
          - id: "cam-{n}"
            count: 4
            url: "\(vtest)"
            loop: true
            zones:
              - {name: path, polygon: [[0.30, 0.30], [0.80, 0.28], [0.85, 0.62], [0.30, 0.68]], classes: [person]}
            lines:
              - {name: gate, from: [0.50, 0.75], to: [0.50, 0.25], classes: [person]}
          - {id: "\(Self.xssID)", url: "\(vtest)", loop: true}
        pipeline: {width: 640, detect_fps: 5}
        model: {path: "\(try TestEnvironment.model("yolov4-tiny-int8.xml"))", classes: [person, car]}
        kafka:
          {enabled: true, bootstrap_servers: "\(broker)", topic: \(topic), events_topic: \(topic)-events,
           include_frames: true}
        preview: {max_width: 320}
        dashboard: {port: \(port), start_at: oldest, group_id: "test-\(UUID().uuidString.prefix(8))", access_token: "s3cret"}
        """.write(to: config, atomically: true, encoding: .utf8)
        try produceTrackMessages(broker: broker, topic: topic, directory: directory)
        let pipeline = try ChildProcess(
            try TestEnvironment.executable("realtime-analytics"), ["--config", config.path], directory: directory,
            label: "pipeline")
        let dashboard = try ChildProcess(
            try TestEnvironment.executable("realtime-analytics-dashboard"),
            ["--config", config.path, "--port", "\(port)"],
            directory: directory, label: "dashboard")
        defer {
            dashboard.stop()
            pipeline.stop()
        }
        #expect(KafkaBroker.waitForPort(port, seconds: 20), "dashboard did not listen: \(dashboard.stderr)")

        // Token: required everywhere but /healthz.
        #expect(try curl(["http://127.0.0.1:\(port)/healthz"]).status == "200")
        #expect(try curl(["http://127.0.0.1:\(port)/api/streams"]).status == "401")
        #expect(try curl(["-H", "Authorization: Bearer wrong", "http://127.0.0.1:\(port)/"]).status == "401")
        #expect(try curl(["-H", "Authorization: Bearer s3cret", "http://127.0.0.1:\(port)/"]).status == "200")

        // A temporary folder, its path printed, so the picture can be looked at without writing into the checkout.
        let picture = try TestEnvironment.makeTemporaryDirectory("dashboard-screenshot")
            .appendingPathComponent("dashboard-test.png")
        let check = try ChildProcess.run(
            "/usr/bin/env",
            [
                "python3", TestEnvironment.script("browser-check.py"), "http://127.0.0.1:\(port)/?token=s3cret",
                "--screenshot", picture.path, "--wait-seconds", "20", "--min-images", "4", "--min-track-rows", "1",
                "--text-id", Self.xssID, "--min-event-rows", "1",
            ],
            timeout: 90)
        #expect(check.status == 0, "\(check.stderr)")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any],
            "\(check.stdout) \(check.stderr)")
        #expect((report["loaded_images"] as? Int ?? 0) >= 4, "\(report)")
        #expect((report["track_rows"] as? Int ?? 0) >= 1, "\(report)")
        #expect((report["seconds"] as? Double ?? 99) <= 20, "\(report)")
        #expect(report["text_id_rendered_as_text"] as? Bool == true, "\(report)")
        #expect(report["injected_images"] as? Int == 0 && (report["alerts"] as? [Any])?.isEmpty == true, "\(report)")
        #expect(report["connection"] as? String == "live")
        // Zones and lines drawn over the four cam tiles, their counters shown, events in the panel.
        #expect((report["drawn_overlays"] as? Int ?? 0) >= 4, "\(report)")
        #expect(
            (report["counters"] as? [String])?.first?.hasPrefix("path ") == true
                && (report["counters"] as? [String])?.first?.contains("gate →") == true, "\(report)")
        #expect((report["event_rows"] as? Int ?? 0) >= 1, "\(report)")
        let events = try curl(["http://127.0.0.1:\(port)/api/events?limit=5&token=s3cret"])
        let listed =
            ((try? JSONSerialization.jsonObject(with: Data(events.body.utf8)) as? [String: Any])?["events"]
                as? [[String: Any]]) ?? []
        #expect(events.status == "200" && !listed.isEmpty && listed.count <= 5, "\(events.body.prefix(300))")
        print(
            "fault: a stream id and a class name carrying <img src=x onerror=alert(…)> shown in a real browser; held: rendered as text \(report["text_id_rendered_as_text"] ?? "?"), injected images \(report["injected_images"] ?? "?"), alerts \(report["alerts"] ?? "?")"
        )
        #expect(FileManager.default.fileExists(atPath: picture.path))
        print("dashboard screenshot: \(picture.path)")

        let api = try curl(["http://127.0.0.1:\(port)/api/streams?token=s3cret"])
        #expect(api.status == "200")
        let streams =
            ((try? JSONSerialization.jsonObject(with: Data(api.body.utf8)) as? [String: Any])?["streams"]
                as? [[String: Any]]) ?? []
        #expect(
            Set(streams.compactMap { $0["id"] as? String }).isSuperset(of: [
                "cam-1", "cam-2", "cam-3", "cam-4", Self.xssID, "annotated-1",
            ]))
        let metrics = try curl(["-H", "Authorization: Bearer s3cret", "http://127.0.0.1:\(port)/metrics"])
        #expect(
            metrics.status == "200" && metrics.body.contains("dashboard_messages_total"), "\(metrics.body.prefix(500))")

        let stop = dashboard.stop(signal: SIGTERM, waitingAtMost: 10)
        #expect(stop.status == 0 && stop.seconds < 5, "\(dashboard.stderr.suffix(1000))")
        #expect(dashboard.stderr.contains("stopped: every thread has ended"), "\(dashboard.stderr.suffix(1000))")
    }

    @Test(
        "embedded mode: the pipeline serves the same dashboard in-process, without Kafka, behind its access_token (401 without it, a wrong one or the token plus 256 NUL bytes)"
    )
    func embedded() throws {
        let port = try TestEnvironment.freePort()
        let directory = try TestEnvironment.makeTemporaryDirectory("embedded")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("config.yaml")
        try """
        streams:
          - {id: "cam-{n}", count: 2, url: "\(try TestEnvironment.sample("vtest.avi"))", loop: true}
          - {id: never, url: "\(directory.path)/no-such-camera.mp4"}
        kafka: {enabled: false, include_frames: true}
        dashboard: {enabled: true, port: \(port), access_token: "emb3dded"}
        """.write(to: config, atomically: true, encoding: .utf8)
        let token = ["-H", "Authorization: Bearer emb3dded"]
        let pipeline = try ChildProcess(
            try TestEnvironment.executable("realtime-analytics"), ["--config", config.path], directory: directory,
            label: "pipeline")
        defer { pipeline.stop() }
        #expect(KafkaBroker.waitForPort(port, seconds: 20), "\(pipeline.stderr)")
        var ids: Set<String> = []
        _ = ChildProcess.waitUntil(atMost: 15) {
            let body = (try? curl(token + ["http://127.0.0.1:\(port)/api/streams"]).body) ?? ""
            let streams =
                ((try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["streams"]
                    as? [[String: Any]]) ?? []
            // Configured streams are listed from the start (waiting); online means messages arrive.
            ids = Set(streams.filter { $0["state"] as? String == "online" }.compactMap { $0["id"] as? String })
            return ids == ["cam-1", "cam-2"]
        }
        #expect(ids == ["cam-1", "cam-2"])
        // A configured stream that never came up is listed, waiting, with its source's reason.
        var never: [String: Any] = [:]
        _ = ChildProcess.waitUntil(atMost: 10) {
            let body = (try? curl(token + ["http://127.0.0.1:\(port)/api/streams"]).body) ?? ""
            let streams =
                ((try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["streams"]
                    as? [[String: Any]]) ?? []
            never = streams.first { $0["id"] as? String == "never" } ?? [:]
            return (never["reason"] as? String)?.contains("no-such-camera.mp4") == true
        }
        #expect(never["state"] as? String == "waiting", "\(never)")
        #expect((never["reason"] as? String)?.contains("file not found") == true, "\(never)")
        #expect(try curl(token + ["http://127.0.0.1:\(port)/"]).body.contains("realtime-analytics"))
        // The embedded server has the same guard as the dashboard process.
        let nuls = String(repeating: "%00", count: 256)
        for path in ["/", "/api/streams", "/api/events", "/ws", "/api/streams?token=wrong", "/?token=emb3dded\(nuls)"] {
            let denied = try curl(["http://127.0.0.1:\(port)\(path)"])
            #expect(denied.status == "401", "\(path) without the token: \(denied.status)")
        }
        #expect(try curl(["http://127.0.0.1:\(port)/?token=emb3dded"]).status == "200")
        #expect(try curl(["http://127.0.0.1:\(port)/healthz"]).status == "200")
        let stop = pipeline.stop(signal: SIGTERM, waitingAtMost: 10)
        #expect(stop.status == 0 && stop.seconds < 5, "\(pipeline.stderr.suffix(1000))")
    }

    @Test(
        "10,000 malformed, truncated, mistyped and oversized messages on the topic are counted and skipped; valid ones after them still show",
        arguments: BrokerKind.allCases
    )
    func survivesMalformedMessages(_ kind: BrokerKind) throws {
        let (broker, owned) = try KafkaBroker.addressForTest(kind)
        defer { _ = owned }
        let topic = KafkaBroker.uniqueTopic("malformed")
        let port = try TestEnvironment.freePort()
        let directory = try TestEnvironment.makeTemporaryDirectory("malformed")
        defer { try? FileManager.default.removeItem(at: directory) }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let valid = { (frame: Int) in
            #"{"stream":"survivor","frame_id":\#(frame),"timestamp_ms":\#(now),"width":640,"height":480,"schema_version":1,"tracks":[]}"#
        }
        // Five kinds, 2,000 each: not JSON, a valid message cut short, wrong types, missing fields, and documents
        // that never close (20 of them 300 KB, the rest short).
        var lines: [String] = []
        for index in 0..<10_000 {
            switch index % 5 {
            case 0: lines.append("garbage \(index) \u{1}\u{2}")
            case 1: lines.append(String(valid(index).prefix(10 + index % 80)))
            case 2: lines.append(#"{"stream":\#(index),"frame_id":"x","tracks":{}}"#)
            case 3: lines.append(#"{"stream":"missing-\#(index)"}"#)
            default:
                lines.append(
                    index % 500 == 4
                        ? #"{"stream":"big","frame_id":1,"tracks":["# + String(repeating: "1,", count: 150_000)
                        : #"{"stream":"big","frame_id":[[[[["#)
            }
        }
        lines += (1...10).map(valid)
        let file = directory.appendingPathComponent("bad.txt")
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        let produced = try ChildProcess.run(
            "/bin/sh", ["-c", "\(KafkaBroker.kcat) -P -b \(broker) -t \(topic) -l \(file.path)"], timeout: 120)
        try #require(produced.status == 0, "\(produced.stderr)")

        let config = directory.appendingPathComponent("config.yaml")
        try """
        kafka: {enabled: true, bootstrap_servers: "\(broker)", topic: \(topic)}
        dashboard: {port: \(port), start_at: oldest, group_id: "test-\(UUID().uuidString.prefix(8))"}
        """.write(to: config, atomically: true, encoding: .utf8)
        let dashboard = try ChildProcess(
            try TestEnvironment.executable("realtime-analytics-dashboard"),
            ["--config", config.path, "--port", "\(port)"],
            directory: directory, label: "dashboard")
        defer { dashboard.stop() }
        var totals: [String: Any] = [:], streams: [[String: Any]] = []
        _ = ChildProcess.waitUntil(atMost: 90) {
            guard let body = try? curl(["http://127.0.0.1:\(port)/api/streams"]).body,
                let json = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
            else { return false }
            totals = json["totals"] as? [String: Any] ?? [:]
            streams = json["streams"] as? [[String: Any]] ?? []
            return (totals["invalid"] as? Int ?? 0) >= 10_000 && streams.contains { $0["id"] as? String == "survivor" }
        }
        print(
            "fault: tried 10,000 bad messages (5 kinds, 20 of them 300 KB) then 10 valid; held: invalid \(totals["invalid"] ?? "?"), valid streams \(streams.compactMap { $0["id"] as? String }), dashboard running \(dashboard.isRunning)"
        )
        #expect(totals["invalid"] as? Int == 10_000, "\(totals)")
        #expect(streams.compactMap { $0["id"] as? String } == ["survivor"], "\(streams)")
        #expect(dashboard.isRunning, "\(dashboard.stderr.suffix(2000))")
        // Reported, but at most once per 10 s, not once per message.
        let logged = dashboard.stderr.components(separatedBy: "\n").filter {
            $0.localizedCaseInsensitiveContains("invalid") || $0.localizedCaseInsensitiveContains("malformed")
        }
        #expect(logged.count >= 1 && logged.count < 20, "\(logged.count) log lines")
    }
}
