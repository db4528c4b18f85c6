import Foundation
import TestSupport
import Testing

/// The pipeline with the real detector (OpenVINO, yolov4-tiny) and tracker, as a process.
@Suite("Pipeline with detection", .serialized, .timeLimit(.minutes(5)))
struct DetectionPipelineTests {
    private func run(_ yaml: String, seconds: Double) throws -> (messages: [[String: Any]], stderr: String) {
        let directory = try TestEnvironment.makeTemporaryDirectory("detection-pipeline")
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("out.jsonl")
        let config = directory.appendingPathComponent("pipeline.yaml")
        try yaml.replacingOccurrences(of: "{OUT}", with: output.path)
            .replacingOccurrences(of: "{MODEL}", with: try TestEnvironment.model("yolov4-tiny.xml"))
            .replacingOccurrences(of: "{VIDEO}", with: try TestEnvironment.sample("vtest.avi"))
            .write(to: config, atomically: true, encoding: .utf8)
        let pipeline = try ChildProcess(
            try TestEnvironment.executable("realtime-analytics"), ["--config", config.path], directory: directory,
            label: "pipeline")
        Thread.sleep(forTimeInterval: seconds)
        #expect(pipeline.isRunning, "the pipeline exited early: \(pipeline.stderr.suffix(3000))")
        let stop = pipeline.stop(signal: SIGTERM, waitingAtMost: 10)
        #expect(stop.status == 0, "\(pipeline.stderr.suffix(3000))")
        #expect(stop.seconds < 5, "took \(stop.seconds) s to exit")
        return (try JSONLines.read(output), pipeline.stderr)
    }

    private static func tracks(_ message: [String: Any]) -> [[String: Any]] {
        message["tracks"] as? [[String: Any]] ?? []
    }

    @Test("32 identical streams share the detector fairly: every stream gets detections, rates within 1.5x")
    func fairAcross32Streams() throws {
        let (messages, stderr) = try run(
            """
            streams:
              - {id: "cam-{n}", count: 32, url: "{VIDEO}", loop: true}
            pipeline: {width: 640, detect_fps: 5, status_interval_s: 5}
            model: {path: "{MODEL}", classes: [person, car, truck]}
            output: {jsonl: {enabled: true, path: "{OUT}"}}
            """, seconds: 16)
        let byStream = Dictionary(grouping: messages) { $0["stream"] as? String ?? "" }
        #expect(Set(byStream.keys) == Set((1...32).map { "cam-\($0)" }), "\(stderr.suffix(2000))")
        let counts = (1...32).map { byStream["cam-\($0)"]?.count ?? 0 }
        let withDetections = (1...32).filter { index in
            (byStream["cam-\(index)"] ?? []).contains { !Self.tracks($0).isEmpty }
        }
        print("detections per stream in 16 s: \(counts), min \(counts.min()!), max \(counts.max()!)")
        #expect(
            withDetections.count == 32, "streams without any track: \(Set(1...32).subtracting(withDetections).sorted())"
        )
        let minimum = try #require(counts.min()), maximum = try #require(counts.max())
        #expect(minimum >= 3, "a stream starved: \(counts)")
        #expect(Double(maximum) <= 1.5 * Double(max(1, minimum)), "unfair: \(counts)")
        #expect(stderr.contains("detector ready"), "\(stderr.prefix(3000))")
    }

    @Test("a still camera is checked only every idle_check_s; people appearing in it are detected at once")
    func idleStreamWakesOnMotion() throws {
        // 6 s of an empty grey scene, then vtest frame 100 (people, a car) held still: 10 fps, 12 s.
        let folder = try TestEnvironment.makeTemporaryDirectory("appearing")
        defer { try? FileManager.default.removeItem(at: folder) }
        let clip = folder.appendingPathComponent("appearing.mp4").path
        let made = try ChildProcess.run(
            "/usr/bin/env",
            [
                "ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=0x808080:s=768x576:r=10:d=6",
                "-i", try TestEnvironment.sample("vtest.avi"), "-filter_complex",
                "[1:v]select=eq(n\\,100),loop=loop=59:size=1:start=0,setpts=N/10/TB,fps=10[b];[0:v][b]concat=n=2:v=1[v]",
                "-map", "[v]", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-r", "10", clip,
            ],
            timeout: 60)
        try #require(made.status == 0, "ffmpeg: \(made.stderr)")
        let (messages, stderr) = try run(
            """
            streams:
              - {id: "busy-{n}", count: 4, url: "{VIDEO}", loop: true}
              - {id: appearing, url: "\(clip)", loop: false}
            pipeline: {width: 640, detect_fps: 5, idle_check_s: 2}
            model: {path: "{MODEL}", classes: [person, car]}
            output: {jsonl: {enabled: true, path: "{OUT}"}}
            """, seconds: 14)
        let appearing = messages.filter { $0["stream"] as? String == "appearing" }
        let frames = appearing.compactMap { ($0["frame_id"] as? NSNumber)?.intValue }
        // The motion meter needs a few frames before it can tell (until then a stream counts as moving).
        let grey = frames.filter { $0 >= 10 && $0 < 60 }
        let gaps = zip(grey, grey.dropFirst()).map { $1 - $0 }
        print(
            "still stream analysed at frames \(frames.prefix(12)); busy streams \(messages.count - appearing.count) results"
        )
        #expect(
            grey.count >= 2 && gaps.allSatisfy { $0 >= 18 },
            "an empty still scene is checked every 2 s (20 frames): \(grey)")
        let firstSeen = appearing.first { message in
            ((message["frame_id"] as? NSNumber)?.intValue ?? 0) >= 60
                && Self.tracks(message).contains { $0["class_name"] as? String == "person" }
        }
        let seenAt = try #require(
            (firstSeen?["frame_id"] as? NSNumber)?.intValue,
            "no person published after they appeared: \(frames) \(stderr.suffix(2000))")
        // Within the floor for sure; the motion meter makes it the next look.
        #expect(seenAt - 60 <= 20, "people appeared at frame 60, first published at \(seenAt)")
        #expect(seenAt - 60 <= 5, "motion should end the idle wait at once: first published at \(seenAt)")
    }

    @Test("a walking person keeps its id across consecutive detected frames")
    func stableIDs() throws {
        let (messages, _) = try run(
            """
            streams:
              - {id: "walk", url: "{VIDEO}", loop: true}
            pipeline: {width: 640, detect_fps: 5}
            model: {path: "{MODEL}", classes: [person]}
            output: {jsonl: {enabled: true, path: "{OUT}"}}
            """, seconds: 10)
        // Consecutive results: a person overlapping (IoU > 0.5) a person of the previous result is the same one.
        func box(_ track: [String: Any]) -> [Double] {
            (track["bbox_xyxy"] as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.doubleValue }
        }
        func iou(_ a: [Double], _ b: [Double]) -> Double {
            let w = min(a[2], b[2]) - max(a[0], b[0]), h = min(a[3], b[3]) - max(a[1], b[1])
            guard w > 0, h > 0 else { return 0 }
            let i = w * h
            return i / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - i)
        }
        var pairs = 0, sameID = 0
        var ids = Set<Int>()
        for (previous, current) in zip(messages, messages.dropFirst()) {
            for track in Self.tracks(current) {
                let id = track["track_id"] as? Int ?? -1
                #expect(id >= 1, "a published track has id \(id)")
                ids.insert(id)
                guard
                    let match = Self.tracks(previous).max(by: { iou(box($0), box(track)) < iou(box($1), box(track)) }),
                    iou(box(match), box(track)) > 0.5
                else { continue }
                pairs += 1
                if match["track_id"] as? Int == id { sameID += 1 }
            }
        }
        print(
            "stable ids: \(sameID) of \(pairs) overlapping pairs kept their id; \(ids.count) ids in \(messages.count) results"
        )
        #expect(messages.count >= 30)
        #expect(pairs >= 50, "too few consecutive person pairs: \(pairs)")
        #expect(Double(sameID) >= 0.95 * Double(pairs), "\(sameID) of \(pairs) kept their id")
    }
}

@Suite("Pipeline metrics endpoint", .serialized, .timeLimit(.minutes(3)))
struct PipelineMetricsTests {
    @Test(
        "metrics.enabled serves Prometheus text with per-stream counters, timing histograms, Kafka delivery and memory",
        arguments: BrokerKind.allCases)
    func prometheusEndpoint(_ kind: BrokerKind) throws {
        let (broker, owned) = try KafkaBroker.addressForTest(kind)
        defer { _ = owned }
        let directory = try TestEnvironment.makeTemporaryDirectory("metrics")
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = try TestEnvironment.freePort()
        let config = directory.appendingPathComponent("pipeline.yaml")
        try """
        streams:
          - {id: "m-{n}", count: 2, url: "\(try TestEnvironment.sample("vtest.avi"))", loop: true}
        pipeline: {detect_fps: 2}
        model: {path: "\(try TestEnvironment.model("yolov4-tiny.xml"))", classes: [person]}
        metrics: {enabled: true, port: \(port)}
        kafka: {enabled: true, bootstrap_servers: "\(broker)", topic: \(KafkaBroker.uniqueTopic("metrics"))}
        output: {jsonl: {enabled: true, path: "\(directory.appendingPathComponent("out.jsonl").path)"}}
        """.write(to: config, atomically: true, encoding: .utf8)
        let pipeline = try ChildProcess(
            try TestEnvironment.executable("realtime-analytics"), ["--config", config.path], directory: directory,
            label: "pipeline")
        defer { _ = pipeline.stop(signal: SIGTERM, waitingAtMost: 10) }
        var text = ""
        _ = ChildProcess.waitUntil(atMost: 30) {
            let result = try? ChildProcess.run(
                "/usr/bin/curl", ["-sf", "http://127.0.0.1:\(port)/metrics"], timeout: 5)
            text = result?.stdout ?? ""
            return text.contains("pipeline_detector_seconds") && text.contains("pipeline_tracker_seconds")
                && text.contains(#"pipeline_stream_state{stream="m-1",state="online"} 1"#)
                && text.contains(#"pipeline_stream_state{stream="m-2",state="online"} 1"#)
                && text.contains("pipeline_capture_to_delivery_seconds_count")
        }
        for name in [
            #"pipeline_frames_decoded_total{stream="m-1"}"#, #"pipeline_frames_analysed_total{stream="m-2"}"#,
            #"pipeline_frames_not_analysed_total{stream="m-1"}"#,
            #"pipeline_stream_state{stream="m-1",state="online"} 1"#,
            #"pipeline_stream_reconnects_total{stream="m-2"}"#, "pipeline_detector_seconds_bucket",
            "pipeline_frame_queue_wait_seconds_bucket", "pipeline_tracker_seconds_count",
            "pipeline_capture_to_publish_seconds_bucket",
            #"pipeline_output_messages{output="jsonl",outcome="written"}"#,
            "process_resident_memory_bytes", "pipeline_capture_to_delivery_seconds_bucket", "kafka_queued_bytes_total",
            #"pipeline_output_messages{output="kafka",outcome="written"}"#, "kafka_queue_messages",
            #"kafka_dropped_messages{reason="queue_full"} 0"#,
        ] {
            #expect(text.contains(name), "missing \(name) in:\n\(text.prefix(3000))")
        }
        // The counters move: a second scrape 3 s later shows more frames decoded, analysed and delivered.
        func value(_ series: String, in text: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(series + " ") }
                .flatMap { Double($0.dropFirst(series.count + 1).prefix { !$0.isWhitespace }) }
        }
        Thread.sleep(forTimeInterval: 3)
        let later =
            (try? ChildProcess.run("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(port)/metrics"], timeout: 5))?.stdout
            ?? ""
        for series in [
            #"pipeline_frames_decoded_total{stream="m-1"}"#, #"pipeline_frames_analysed_total{stream="m-2"}"#,
            #"pipeline_output_messages{output="kafka",outcome="written"}"#, "pipeline_tracker_seconds_count",
            "kafka_queued_bytes_total",
        ] {
            let before = value(series, in: text), after = value(series, in: later)
            #expect(
                before != nil && after != nil && after! > before!,
                "\(series) did not move in 3 s: \(before.map { "\($0)" } ?? "absent") then \(after.map { "\($0)" } ?? "absent")"
            )
        }
        let health = try ChildProcess.run("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(port)/healthz"], timeout: 5)
        #expect(health.stdout.contains("ok"))
    }
}
