import Foundation
import TestSupport
import Testing

/// The topic as a record: `consume --since/--from/--until` positioned by the broker's offsets-for-times index.
@Suite("Replay from the topic", .serialized, .timeLimit(.minutes(4)))
struct ReplayTests {
    @Test(
        "consume --from T --until U prints exactly the messages captured in [T, U), per stream in order; --stream and --since filter; bad times are one-line errors",
        arguments: BrokerKind.allCases
    )
    func consumeFromTime(_ kind: BrokerKind) throws {
        let bed = try KafkaTestBed("replay", on: kind)
        defer { withExtendedLifetime(bed) {} }  // the folder and a private broker live to the end
        let (broker, topic, directory) = (bed.broker, bed.topic, bed.directory)
        let output = directory.appendingPathComponent("out.jsonl")
        let config = directory.appendingPathComponent("config.yaml")
        try """
        streams:
          - {id: "cam-{n}", count: 2, url: "\(try TestEnvironment.sample("vtest.avi"))", loop: true}
        pipeline: {detect_fps: 5}
        output: {jsonl: {enabled: true, path: "\(output.path)"}}
        kafka: {enabled: true, bootstrap_servers: "\(broker)", topic: \(topic)}
        """.write(to: config, atomically: true, encoding: .utf8)
        let pipeline = try ChildProcess(
            try TestEnvironment.executable("realtime-analytics"), ["--config", config.path], directory: directory,
            label: "pipeline")
        // About 10 messages a second once the model is compiled; waits for 60 (at most 45 s on a loaded machine).
        let deadline = Date().addingTimeInterval(45)
        while Date() < deadline, ((try? JSONLines.read(output, tail: .mayBePartial))?.count ?? 0) < 60 {
            Thread.sleep(forTimeInterval: 0.5)
        }
        #expect(pipeline.stop(signal: SIGTERM, waitingAtMost: 10).status == 0, "\(pipeline.stderr.suffix(800))")
        let written = try JSONLines.read(output)
        let stamps = written.compactMap { $0["timestamp_ms"] as? Int }.sorted()
        try #require(stamps.count >= 45, "\(stamps.count) messages")
        let from = stamps[stamps.count / 3], until = stamps[stamps.count * 2 / 3]
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        func iso(_ ms: Int) -> String { formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000)) }

        func consume(_ arguments: [String]) throws -> [(stream: String, frame: Int, captured: Int)] {
            let result = try ChildProcess.run(
                try TestEnvironment.executable("realtime-analytics"),
                ["consume", "--config", config.path, "--json", "--seconds", "30"] + arguments, timeout: 60)
            #expect(result.status == 0, "\(result.stderr.suffix(500))")
            return try JSONLines.parse(Data(result.stdout.utf8)).map {
                ($0["stream"] as? String ?? "", $0["frame_id"] as? Int ?? -1, $0["timestamp_ms"] as? Int ?? -1)
            }
        }
        func expected(_ stream: String? = nil, from: Int, until: Int) -> [String: [Int]] {
            written.filter {
                let captured = $0["timestamp_ms"] as? Int ?? 0
                return captured >= from && captured < until && (stream == nil || $0["stream"] as? String == stream)
            }.reduce(into: [:]) { $0[$1["stream"] as? String ?? "", default: []].append($1["frame_id"] as? Int ?? -1) }
        }
        func byStream(_ rows: [(stream: String, frame: Int, captured: Int)]) -> [String: [Int]] {
            rows.reduce(into: [:]) { $0[$1.stream, default: []].append($1.frame) }
        }

        let window = try consume(["--from", iso(from), "--until", iso(until)])
        #expect(!window.isEmpty)
        #expect(byStream(window) == expected(from: from, until: until), "exactly the window, per stream in order")
        let one = try consume(["--from", iso(from), "--until", iso(until), "--stream", "cam-2"])
        #expect(byStream(one) == expected("cam-2", from: from, until: until))
        let all = try consume(["--since", "1h", "--until", iso(stamps.last! + 1)])
        #expect(all.count == written.count, "every message written is on the topic and found from an hour ago")

        for (arguments, fragment) in [
            (["--since", "10x"], "--since 10x is not a duration"),
            (["--from", "yesterday"], "--from yesterday is not a time"),
            (["--until", iso(until)], "--until needs --since or --from"),
            (["--from", iso(until), "--until", iso(from)], "--until must be after the start"),
        ] {
            let bad = try ChildProcess.run(
                try TestEnvironment.executable("realtime-analytics"), ["consume", "--config", config.path] + arguments,
                timeout: 30)
            #expect(bad.status != 0 && bad.stderr.contains(fragment), "\(arguments): \(bad.stderr)")
        }
        print(
            "replay: \(written.count) messages; --from/--until found \(window.count) (expected \(expected(from: from, until: until).values.map(\.count).reduce(0, +))), --stream cam-2 \(one.count), --since 1h \(all.count)"
        )
    }

    @Test(
        "a browser replay from T shows the frame ids captured at T while a second browser stays live; the live page's update rate holds during a 16x replay; leaving frees the session",
        // One broker: positioning by time is tested on both by consume --from above, pacing and controls in process
        // (ReplayInProcessTests); this is the browser and the binaries.
        arguments: [BrokerKind.noida]
    )
    func replayInBrowser(_ kind: BrokerKind) throws {
        let bed = try KafkaTestBed("replay-browser", on: kind)
        defer { withExtendedLifetime(bed) {} }  // the folder and a private broker live to the end
        let (broker, topic, directory) = (bed.broker, bed.topic, bed.directory)
        let output = directory.appendingPathComponent("out.jsonl")
        let port = try TestEnvironment.freePort()
        let config = directory.appendingPathComponent("config.yaml")
        try """
        streams:
          - {id: "cam-{n}", count: 4, url: "\(try TestEnvironment.sample("vtest.avi"))", loop: true}
        pipeline: {detect_fps: 5, status_interval_s: 0}
        output: {jsonl: {enabled: true, path: "\(output.path)"}}
        kafka: {enabled: true, bootstrap_servers: "\(broker)", topic: \(topic)}
        dashboard: {group_id: \(topic)-dashboard, replay_max_sessions: 1}
        """.write(to: config, atomically: true, encoding: .utf8)
        let pipeline = try ChildProcess(
            try TestEnvironment.executable("realtime-analytics"), ["--config", config.path], directory: directory,
            label: "pipeline")
        defer { pipeline.stop() }
        // About 14 s of history before anyone looks back: the replay starts 4 s into it, so the live page stays ahead
        // by at least 10 s (about 100 frame ids).
        func written() -> [[String: Any]] { (try? JSONLines.read(output, tail: .mayBePartial)) ?? [] }
        try #require(
            ChildProcess.waitUntil(atMost: 60) {
                let stamps = written().compactMap { $0["timestamp_ms"] as? Int }
                return (stamps.max() ?? 0) - (stamps.min() ?? 0) >= 14_000
            }, "the pipeline did not publish 14 s: \(pipeline.stderr.suffix(600))")
        let history = written()
        let first = history.compactMap { $0["timestamp_ms"] as? Int }.min() ?? 0
        let replayFrom = first + 4000
        let dashboard = try ChildProcess(
            try TestEnvironment.executable("realtime-analytics-dashboard"),
            ["--config", config.path, "--port", "\(port)"],
            directory: directory, label: "dashboard")
        defer { dashboard.stop() }
        #expect(KafkaBroker.waitForPort(port, seconds: 20), "dashboard did not listen: \(dashboard.stderr)")
        // The live board has its partitions (a new group's first join takes a few seconds: Tansu holds it for about
        // half the session timeout, Apache Kafka for group.initial.rebalance.delay.ms) before the browsers look.
        #expect(
            ChildProcess.waitUntil(atMost: 30) {
                let body =
                    (try? ChildProcess.run("/usr/bin/curl", ["-s", "-m", "5", "http://127.0.0.1:\(port)/api/streams"]))?
                    .stdout ?? ""
                let views =
                    ((try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["streams"]
                        as? [[String: Any]]) ?? []
                return views.filter { $0["state"] as? String == "online" }.count == 4
            }, "the live board never showed the 4 streams: \(dashboard.stderr.suffix(600))")

        let check = try ChildProcess.run(
            "/usr/bin/env",
            [
                "python3", TestEnvironment.script("replay-check.py"), "http://127.0.0.1:\(port)/", "--at",
                "\(replayFrom)", "--speed", "1", "--alone-seconds", "3", "--seconds", "9", "--speed-after", "16",
                "--after-seconds", "4",
            ], timeout: 120)
        #expect(check.status == 0, "\(check.stderr.suffix(800))")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any],
            "\(check.stdout.prefix(300)) \(check.stderr.suffix(500))")
        let samples = (report["samples"] as? [[String: Any]] ?? []).filter { $0["live"] != nil }
        func frames(_ page: Any?) -> [String: Int] {
            ((page as? [String: Any])?["frames"] as? [String: Any] ?? [:]).compactMapValues { $0 as? Int }
        }
        // Capture time of each (stream, frame id) from what the pipeline wrote.
        let everything = written()
        var captured: [String: Int] = [:]
        for message in everything {
            captured["\(message["stream"] as? String ?? "")#\(message["frame_id"] as? Int ?? -1)"] =
                message["timestamp_ms"] as? Int
        }
        let streams = ["cam-1", "cam-2", "cam-3", "cam-4"]

        // At 1x (before the switch to 16x), the replay page shows the moment after T, not the present.
        let atOne = samples.filter { ($0["t"] as? Double ?? -1) >= 0 && ($0["t"] as? Double ?? 99) < 4 }
        let shown = try #require(
            atOne.first { sample in Set(frames(sample["replay"]).keys).isSuperset(of: streams) },
            "the replay page never showed all four streams at 1x: \(atOne.last ?? [:])")
        let banner = (shown["replay"] as? [String: Any])?["banner"] as? String ?? ""
        #expect(banner.hasPrefix("replay ") && banner.contains("1×"), "banner: \(banner)")
        let seconds = shown["t"] as? Double ?? 0
        for stream in streams {
            let frame = frames(shown["replay"])[stream] ?? -1
            let time = captured["\(stream)#\(frame)"] ?? -1
            #expect(
                time >= replayFrom && time <= replayFrom + Int((seconds + 3) * 1000),
                "\(stream) frame \(frame) captured at \(time - replayFrom) ms after T, shown \(seconds) s into the replay"
            )
            #expect(frame < (frames(shown["live"])[stream] ?? 0) - 50, "\(stream): the live page is far ahead")
        }
        // The live page is current all along: its last frame ids are the newest written, give or take 4 s.
        let last = try #require(samples.last)
        for stream in streams {
            let newest =
                everything.filter { $0["stream"] as? String == stream }.compactMap { $0["frame_id"] as? Int }
                .max() ?? 0
            #expect(frames(last["live"])[stream] ?? 0 >= newest - 20, "\(stream): live shows \(frames(last["live"]))")
        }
        // The live page's rendered updates per second: alone, and while the other browser replays at 16x.
        func rate(_ window: [[String: Any]]) -> Double {
            guard let a = window.first, let b = window.last, let ta = a["t"] as? Double, let tb = b["t"] as? Double,
                tb > ta
            else { return 0 }
            let ua = (a["live"] as? [String: Any])?["updates"] as? Int ?? 0
            let ub = (b["live"] as? [String: Any])?["updates"] as? Int ?? 0
            return Double(ub - ua) / (tb - ta)
        }
        let alone = rate(samples.filter { ($0["t"] as? Double ?? 0) < 0 })
        let during = rate(samples.filter { ($0["t"] as? Double ?? 0) >= 4 })
        #expect(alone > 5 && during >= alone * 0.7, "live updates/s alone \(alone), during a 16x replay \(during)")
        // The replay browser has gone: its session and consumer are freed.
        #expect(
            ChildProcess.waitUntil(atMost: 10) {
                let metrics =
                    (try? ChildProcess.run("/usr/bin/curl", ["-s", "http://127.0.0.1:\(port)/metrics"]))?
                    .stdout ?? ""
                return metrics.contains("dashboard_replay_sessions 0")
            }, "the replay session was not freed")
        // Sessions are bounded, and a bad time is a one-line answer (raw WebSocket clients, websocket-client).
        let probe = try ChildProcess.run(
            "/usr/bin/env",
            [
                "python3", "-c",
                """
                import json, sys, time, websocket
                def status(ws):
                    deadline = time.time() + 10
                    while time.time() < deadline:
                        message = json.loads(ws.recv())
                        if message.get("type") == "replay":
                            return message
                url = sys.argv[1]
                first, second, third = (websocket.create_connection(url, timeout=10) for _ in range(3))
                first.send(json.dumps({"replay": {"from": "10m", "speed": 4}}))
                print(json.dumps(status(first)))
                second.send(json.dumps({"replay": {"from": "10m"}}))
                print(json.dumps(status(second)))
                third.send(json.dumps({"replay": {"from": "yesterday"}}))
                print(json.dumps(status(third)))
                """,
                "ws://127.0.0.1:\(port)/ws",
            ], timeout: 60)
        let answers = probe.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(answers.count == 3, "\(probe.stdout)\(probe.stderr.suffix(500))")
        let states = answers.map { $0["state"] as? String ?? "" }
        let reasons = answers.map { $0["reason"] as? String ?? "" }
        #expect(states == ["playing", "failed", "failed"], "\(answers)")
        #expect(answers.first?["speed"] as? Double == 4, "\(answers)")
        #expect(reasons.dropFirst().first?.contains("dashboard.replay_max_sessions") == true, "\(reasons)")
        #expect(reasons.last?.contains("'yesterday' is not a past time") == true, "\(reasons)")
        print(
            "replay: the replay page showed frames captured \(streams.map { (captured["\($0)#\(frames(shown["replay"])[$0] ?? -1)"] ?? 0) - replayFrom }) ms after T at \(seconds) s; live updates/s alone \(String(format: "%.1f", alone)), during a 16x replay \(String(format: "%.1f", during))"
        )
    }
}
