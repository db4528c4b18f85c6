import Foundation
import TestSupport
import Testing

/// Zones and lines on the real sample, against an independent full-rate analysis, and through the broker.
@Suite("Zone and line events", .serialized, .timeLimit(.minutes(5)))
struct ZoneEventsTests {
    /// The sample's line across vtest's footpath (drawn bottom up) and its zone on the path.
    static let line = "0.5,0.75,0.5,0.25"
    static let zone = "0.30,0.30,0.80,0.28,0.85,0.62,0.30,0.68"

    /// The full-rate reference tracks of vtest (OpenCV's DNN on the darknet weights, f32, 416, every frame, tracked
    /// by Roboflow's ByteTrack), made by scripts/fidelity-reference.py (about 40 s). `make fidelity`'s copy in
    /// var/fidelity/ is used when it is newer than the scripts behind it; otherwise the test makes its own outside the
    /// checkout (in the temporary folder, kept for later runs).
    static func referenceTracks() throws -> String {
        let root = TestEnvironment.packageRoot
        func modified(_ url: URL) -> Date {
            ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date) ?? .distantPast
        }
        let scripts =
            ["scripts/fidelity-reference.py", "scripts/opencv-detect.py"].map {
                modified(root.appendingPathComponent($0))
            }.max() ?? .distantPast
        let shared = root.appendingPathComponent("var/fidelity/vtest-gt.txt")
        if modified(shared) >= scripts { return shared.path }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("realtime-analytics-reference")
        let reference = folder.appendingPathComponent("vtest-gt.txt")
        if modified(reference) < scripts {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let made = try ChildProcess.run(
                "/usr/bin/env",
                [
                    "python3", TestEnvironment.script("fidelity-reference.py"), "--video",
                    try TestEnvironment.sample("vtest.avi"), "--output-gt", reference.path, "--output-det",
                    folder.appendingPathComponent("vtest-det.txt").path,
                ], timeout: 240)
            try #require(made.status == 0, "fidelity-reference.py failed: \(made.stderr.suffix(1500))")
        }
        return reference.path
    }

    struct Counts: Decodable {
        var left_to_right: Int
        var right_to_left: Int
        var zone_entries: Int
        var zone_exits: Int
    }

    @Test(
        "vtest, one pass at full rate: the line's crossings per direction within 3 (or 25 %) of an independent full-rate analysis; the events topic, the frame messages' counters and the JSON lines agree exactly",
        arguments: BrokerKind.allCases
    )
    func sampleAgainstReference(_ kind: BrokerKind) throws {
        let reference = try Self.referenceTracks()
        let counted = try ChildProcess.run(
            "/usr/bin/env",
            [
                "python3", TestEnvironment.script("zone-counts-reference.py"), "--tracks", reference, "--width", "640",
                "--height", "480", "--line", Self.line, "--zone", Self.zone,
            ], timeout: 60)
        try #require(counted.status == 0, "\(counted.stderr)")
        let expected = try JSONDecoder().decode(Counts.self, from: Data(counted.stdout.utf8))

        let (broker, owned) = try KafkaBroker.addressForTest(kind)
        defer { _ = owned }
        let topic = KafkaBroker.uniqueTopic("zones-frames")
        let eventsTopic = KafkaBroker.uniqueTopic("zones-events")
        let directory = try TestEnvironment.makeTemporaryDirectory("zones")
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("out.jsonl")
        let config = directory.appendingPathComponent("config.yaml")
        func corners(_ text: String) -> String {
            let values = text.split(separator: ",").map(String.init)
            return stride(from: 0, to: values.count, by: 2).map { "[\(values[$0]), \(values[$0 + 1])]" }
                .joined(separator: ", ")
        }
        let ends = Self.line.split(separator: ",").map(String.init)
        try """
        streams:
          - id: walkway
            url: "\(try TestEnvironment.sample("vtest.avi"))"
            realtime: false
            zones:
              - {name: path, polygon: [\(corners(Self.zone))], classes: [person]}
            lines:
              - {name: gate, from: [\(ends[0]), \(ends[1])], to: [\(ends[2]), \(ends[3])], classes: [person]}
        pipeline: {detect_fps: 0}
        model: {path: "\(try TestEnvironment.model("yolov4-tiny-int8.xml"))", input_size: [416, 352], classes: [person, car]}
        output: {jsonl: {enabled: true, path: "\(output.path)"}}
        kafka: {enabled: true, bootstrap_servers: "\(broker)", topic: \(topic), events_topic: \(eventsTopic)}
        """.write(to: config, atomically: true, encoding: .utf8)
        let run = try ChildProcess.run(
            try TestEnvironment.executable("realtime-analytics"), ["--config", config.path], timeout: 180)
        try #require(run.status == 0, "\(run.stderr.suffix(1500))")

        let lines = try JSONLines.read(output)
        let frames = lines.filter { $0["event"] == nil }
        let events = lines.filter { $0["event"] != nil }
        #expect(frames.count == 795, "one pass of the clip, every frame analysed")
        let last = try #require(frames.last)
        let gate = try #require((last["lines"] as? [String: [String: [String: Int]]])?["gate"])
        let ours = (gate["left_to_right"]?["person"] ?? 0, gate["right_to_left"]?["person"] ?? 0)
        let crossings = events.filter { $0["event"] as? String == "line_cross" }
        #expect(crossings.filter { $0["direction"] as? String == "left_to_right" }.count == ours.0)
        #expect(crossings.filter { $0["direction"] as? String == "right_to_left" }.count == ours.1)
        // Zone entries and exits against the reference's, with the crossings' tolerance: a track that breaks inside
        // the zone ends one visit and starts another.
        let entries = events.filter { $0["event"] as? String == "zone_enter" }.count
        let exits = events.filter { $0["event"] as? String == "zone_exit" }.count
        #expect(exits <= entries, "\(exits) exits, \(entries) entries")
        for (name, mine, theirs) in [
            ("zone entries", entries, expected.zone_entries), ("zone exits", exits, expected.zone_exits),
        ] {
            #expect(
                Swift.abs(mine - theirs) <= Swift.max(3, theirs / 4),
                "\(name): \(mine) here, \(theirs) in the full-rate reference")
        }
        // Measured: the reference counts 12 left-to-right and 14 right-to-left; this pipeline (INT8, 416x352, its
        // own tracker) 12 and 12. A crossing is lost when a track breaks near the line, so the tolerance is 3 per
        // direction or a quarter of the reference's count, whichever is larger.
        for (name, mine, theirs) in [
            ("left_to_right", ours.0, expected.left_to_right), ("right_to_left", ours.1, expected.right_to_left),
        ] {
            let tolerance = Swift.max(3, theirs / 4)
            #expect(
                Swift.abs(mine - theirs) <= tolerance, "\(name): \(mine) here, \(theirs) in the full-rate reference")
        }
        #expect(ours.0 + ours.1 >= 10, "people do cross the footpath in vtest")

        // The events topic, read by an independent consumer, holds the same crossings, valid against the schema.
        let dump = directory.appendingPathComponent("events.jsonl")
        let kcat = try ChildProcess.run(
            "/bin/sh",
            ["-c", "\(KafkaBroker.kcat) -C -b \(broker) -t \(eventsTopic) -o beginning -e -q > \(dump.path)"],
            timeout: 60)
        #expect(kcat.status == 0, "\(kcat.stderr)")
        let onTopic = try JSONLines.read(dump)
        #expect(onTopic.count == events.count, "every event is on the topic once")
        #expect(onTopic.filter { $0["event"] as? String == "line_cross" }.count == ours.0 + ours.1)
        let schema = TestEnvironment.packageRoot.appendingPathComponent("docs/event.schema.json").path
        let check = try ChildProcess.run(
            "/usr/bin/env",
            [
                "python3", "-c",
                "import json, sys, jsonschema; v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))); bad = [e.message for line in open(sys.argv[2]) for e in v.iter_errors(json.loads(line))]; print(len(bad), bad[:3])",
                schema, dump.path,
            ], timeout: 60)
        #expect(check.stdout.hasPrefix("0 "), "\(check.stdout)\(check.stderr)")
        // The bundled consumer of the events topic prints them, filtered by type.
        let tail = try ChildProcess.run(
            try TestEnvironment.executable("realtime-analytics"),
            [
                "events", "--config", config.path, "--from-beginning", "--type", "line_cross", "--seconds", "20",
                "--max-events", "\(ours.0 + ours.1)",
            ], timeout: 60)
        let printed = tail.stdout.split(separator: "\n")
        #expect(printed.count == ours.0 + ours.1, "\(tail.stdout)\(tail.stderr.suffix(500))")
        #expect(printed.allSatisfy { $0.hasPrefix("walkway line_cross gate ") && $0.contains(" person #") })
        // Events history: the counts over a window of event times, read back by time from the topic.
        let stamps = events.compactMap { $0["timestamp_ms"] as? Int }.sorted()
        let (from, until) = (stamps[stamps.count / 3], stamps[stamps.count * 2 / 3])
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        func iso(_ ms: Int) -> String { formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000)) }
        let history = try ChildProcess.run(
            try TestEnvironment.executable("realtime-analytics"),
            [
                "events", "--config", config.path, "--from", iso(from), "--until", iso(until), "--counts", "--seconds",
                "30",
            ],
            timeout: 60)
        var expectedCounts: [String: Int] = [:]
        for event in events {
            guard let time = event["timestamp_ms"] as? Int, time >= from, time < until else { continue }
            let parts = [
                event["stream"] as? String ?? "", (event["zone"] ?? event["line"]) as? String ?? "?",
                event["event"] as? String ?? "", event["direction"] as? String ?? "",
                event["class_name"] as? String ?? "",
            ]
            expectedCounts[parts.filter { !$0.isEmpty }.joined(separator: " "), default: 0] += 1
        }
        let tallied = Dictionary(
            history.stdout.split(separator: "\n").compactMap { line -> (String, Int)? in
                guard let colon = line.lastIndex(of: ":"),
                    let count = Int(line[line.index(after: colon)...].dropFirst())
                else { return nil }
                return (String(line[..<colon]), count)
            }, uniquingKeysWith: +)
        #expect(history.status == 0 && tallied == expectedCounts, "\(history.stdout)\(history.stderr.suffix(400))")
        print(
            "zones: vtest one pass at full rate: line gate \(ours.0) left-to-right / \(ours.1) right-to-left (reference \(expected.left_to_right) / \(expected.right_to_left)), \(entries) zone entries and \(exits) exits (reference \(expected.zone_entries) and \(expected.zone_exits)), \(events.count) events on \(kind), the same on the topic"
        )
    }
}
