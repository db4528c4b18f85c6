import Foundation
import TestSupport
import Testing

/// The topic as a record: `consume --since/--from/--until` positioned by the broker's offsets-for-times index.
@Suite("Replay from the topic", .serialized, .timeLimit(.minutes(3)))
struct ReplayTests {
    @Test(
        "consume --from T --until U prints exactly the messages captured in [T, U), per stream in order; --stream and --since filter; bad times are one-line errors"
    )
    func consumeFromTime() throws {
        let (broker, owned) = try KafkaBroker.addressForTest()
        defer { _ = owned }
        let topic = KafkaBroker.uniqueTopic("replay")
        let directory = try TestEnvironment.makeTemporaryDirectory("replay")
        defer { try? FileManager.default.removeItem(at: directory) }
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
        // About 10 messages a second once the model is compiled; waits for 80 (at most 45 s on a loaded machine).
        let deadline = Date().addingTimeInterval(45)
        while Date() < deadline, ((try? JSONLines.read(output, tail: .mayBePartial))?.count ?? 0) < 80 {
            Thread.sleep(forTimeInterval: 0.5)
        }
        #expect(pipeline.stop(signal: SIGTERM, waitingAtMost: 10).status == 0, "\(pipeline.stderr.suffix(800))")
        let written = try JSONLines.read(output)
        let stamps = written.compactMap { $0["timestamp_ms"] as? Int }.sorted()
        try #require(stamps.count > 60, "\(stamps.count) messages")
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
}
