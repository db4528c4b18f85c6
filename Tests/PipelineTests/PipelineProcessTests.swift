import Foundation
import TestSupport
import Testing

/// End-to-end tests of the `realtime-analytics` command: real processes, real files, real servers on 127.0.0.1.
@Suite("Pipeline process", .serialized, .timeLimit(.minutes(3)))
struct PipelineProcessTests {
    /// Writes `yaml` to a config file in a fresh folder, with `{OUT}` replaced by a JSON-lines path there.
    private func makeRun(_ yaml: String) throws -> (directory: URL, config: URL, output: URL) {
        let directory = try TestEnvironment.makeTemporaryDirectory("pipeline")
        let output = directory.appendingPathComponent("out.jsonl")
        let config = directory.appendingPathComponent("pipeline.yaml")
        try yaml.replacingOccurrences(of: "{OUT}", with: output.path).write(
            to: config, atomically: true, encoding: .utf8)
        return (directory, config, output)
    }

    private func startPipeline(_ run: (directory: URL, config: URL, output: URL)) throws -> ChildProcess {
        try ChildProcess(
            try TestEnvironment.executable("realtime-analytics"), ["--config", run.config.path],
            directory: run.directory, label: "pipeline")
    }

    @Test(
        "32 real-time vtest streams for 6 s: every stream writes JSON lines with strictly increasing frame ids; SIGTERM exits cleanly within 5 s"
    )
    func thirtyTwoStreams() throws {
        let run = try makeRun(
            """
            streams:
              - {id: "vtest-{n}", count: 32, url: "\(try TestEnvironment.sample("vtest.avi"))", loop: true}
            pipeline: {width: 640, detect_fps: 5, status_interval_s: 2}
            output: {jsonl: {enabled: true, path: "{OUT}"}}
            """)
        defer { try? FileManager.default.removeItem(at: run.directory) }
        let pipeline = try startPipeline(run)
        Thread.sleep(forTimeInterval: 6)
        #expect(pipeline.isRunning, "the pipeline exited early: \(pipeline.stderr)")
        let stop = pipeline.stop(signal: SIGTERM, waitingAtMost: 10)
        #expect(stop.status == 0, "\(pipeline.stderr)")
        #expect(stop.seconds < 5, "took \(stop.seconds) s to exit")

        let messages = try JSONLines.read(run.output)
        let byStream = JSONLines.frameIDsByStream(messages)
        #expect(Set(byStream.keys) == Set((1...32).map { "vtest-\($0)" }))
        for (stream, ids) in byStream {
            #expect(ids.count >= 12, "\(stream) has only \(ids.count) results in 6 s")
            #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 }, "\(stream) frame ids not increasing")
        }
        let first = try #require(messages.first)
        #expect(first["tracks"] as? [Any] != nil && first["width"] as? Int == 640 && first["height"] as? Int == 480)
        #expect(pipeline.stderr.contains("status | 32/32 online"), "no status line: \(pipeline.stderr.suffix(2000))")
    }

    @Test("a file processed as fast as possible yields exactly its 125 frames, then the pipeline exits by itself")
    func offlineFileRunsToEnd() throws {
        let run = try makeRun(
            """
            streams:
              - {id: clip, url: "\(try TestEnvironment.sample("testsrc-640x360-25fps-5s.mp4"))", realtime: false}
            pipeline: {width: 320, height: 180, detect_fps: 0}
            output: {jsonl: {enabled: true, path: "{OUT}"}}
            """)
        defer { try? FileManager.default.removeItem(at: run.directory) }
        let pipeline = try startPipeline(run)
        #expect(pipeline.waitForExit(atMost: 60), "did not exit after the file ended")
        #expect(pipeline.process.terminationStatus == 0, "\(pipeline.stderr)")
        let ids = JSONLines.frameIDsByStream(try JSONLines.read(run.output))["clip"] ?? []
        #expect(ids == Array(0..<125))
    }

    @Test("a missing file and an unreachable URL are reported clearly and go offline; the other stream runs")
    func badSourcesDoNotDisturbOthers() throws {
        let port = try TestEnvironment.freePort()
        let run = try makeRun(
            """
            streams:
              - {id: good, url: "\(try TestEnvironment.sample("vtest.avi"))", loop: true}
              - {id: missing, url: /nonexistent/video.mp4}
              - {id: unreachable, url: "rtsp://127.0.0.1:\(port)/cam1"}
            pipeline: {detect_fps: 0, status_interval_s: 1, reconnect: {initial_backoff_ms: 200, max_backoff_ms: 1000}, io_timeout_ms: 2000}
            output: {jsonl: {enabled: true, path: "{OUT}"}}
            """)
        defer { try? FileManager.default.removeItem(at: run.directory) }
        let pipeline = try startPipeline(run)
        let reported = ChildProcess.waitUntil(atMost: 20) {
            pipeline.stderr.contains("1/3 online") && pipeline.stderr.contains("stream=missing")
                && pipeline.stderr.contains("stream=unreachable")
        }
        Thread.sleep(forTimeInterval: 2)
        pipeline.stop()
        let stderr = pipeline.stderr
        #expect(reported, "\(stderr)")
        let missingLine = stderr.split(separator: "\n").first {
            $0.contains("stream=missing") && $0.contains("offline")
        }
        #expect(missingLine?.contains("cannot open '/nonexistent/video.mp4': file not found") == true, "\(stderr)")
        let unreachableLine = stderr.split(separator: "\n").first {
            $0.contains("stream=unreachable") && $0.contains("offline")
        }
        #expect(unreachableLine?.contains("rtsp://127.0.0.1:\(port)/cam1") == true, "\(stderr)")
        #expect(stderr.contains("missing offline") && stderr.contains("unreachable offline"), "status line names them")
        // Each failure is reported once, not on every retry.
        #expect(stderr.components(separatedBy: "cannot open '/nonexistent/video.mp4'").count - 1 == 1)
        let byStream = JSONLines.frameIDsByStream(try JSONLines.read(run.output))
        #expect((byStream["good"]?.count ?? 0) >= 30)
        #expect(byStream["missing"] == nil && byStream["unreachable"] == nil)
        print(
            "fault: a missing file and an unreachable RTSP URL beside a good stream; held: both offline with one clear line each, the good stream wrote \(byStream["good"]?.count ?? 0) results"
        )
    }

    @Test(
        "an RTSP stream whose server stops goes offline and returns when the server restarts; another stream keeps running"
    )
    func rtspReconnect() throws {
        let port = try TestEnvironment.freePort()
        try reconnectScenario(
            url: "rtsp://127.0.0.1:\(port)/cam1",
            startServer: { directory in
                try ChildProcess(
                    "/usr/bin/python3", [TestEnvironment.script("rtsp-server.py"), "--port", "\(port)"],
                    directory: directory, label: "rtsp-server")
            })
    }

    @Test(
        "an HTTP stream whose server stops goes offline and returns when the server restarts; another stream keeps running"
    )
    func httpReconnect() throws {
        let port = try TestEnvironment.freePort()
        let clip = try TestEnvironment.sample("testsrc-640x360-10fps-20s.mp4")
        try reconnectScenario(
            url: "http://127.0.0.1:\(port)/live.ts",
            startServer: { directory in
                try ChildProcess(
                    "/usr/bin/ffmpeg",
                    [
                        "-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", clip, "-c", "copy",
                        "-f", "mpegts", "-listen", "1", "http://127.0.0.1:\(port)/live.ts",
                    ],
                    directory: directory, label: "http-server")
            })
    }

    private func reconnectScenario(url: String, startServer: (URL) throws -> ChildProcess) throws {
        let run = try makeRun(
            """
            streams:
              - {id: file, url: "\(try TestEnvironment.sample("vtest.avi"))", loop: true}
              - {id: net, url: "\(url)"}
            pipeline: {width: 320, detect_fps: 0, status_interval_s: 1, io_timeout_ms: 2000, reconnect: {initial_backoff_ms: 200, max_backoff_ms: 1000}}
            output: {jsonl: {enabled: true, path: "{OUT}"}}
            """)
        defer { try? FileManager.default.removeItem(at: run.directory) }
        var server: ChildProcess? = try startServer(run.directory)
        Thread.sleep(forTimeInterval: 1)
        let pipeline = try startPipeline(run)
        func count(_ stream: String) -> Int {
            // Read while the pipeline writes: only its last line may be half written.
            do {
                return JSONLines.frameIDsByStream(try JSONLines.read(run.output, tail: .mayBePartial))[stream]?.count
                    ?? 0
            } catch {
                Issue.record(error)
                return 0
            }
        }
        #expect(ChildProcess.waitUntil(atMost: 20) { count("net") >= 10 }, "no frames from \(url): \(pipeline.stderr)")

        server?.stop(signal: SIGKILL)
        server = nil
        let wentDown = ChildProcess.waitUntil(atMost: 15) {
            pipeline.stderr.split(separator: "\n").contains {
                $0.contains("stream=net") && ($0.contains("stream lost") || $0.contains("stream offline"))
            }
        }
        #expect(wentDown, "\(pipeline.stderr)")
        #expect(
            ChildProcess.waitUntil(atMost: 10) { pipeline.stderr.contains("net offline") },
            "status line shows net offline")
        let fileBefore = count("file"), netBefore = count("net")
        Thread.sleep(forTimeInterval: 3)
        #expect(count("file") >= fileBefore + 20, "the file stream must keep producing while net is down")
        #expect(count("net") == netBefore)

        server = try startServer(run.directory)
        let back = ChildProcess.waitUntil(atMost: 30) {
            pipeline.stderr.contains("stream back online") && count("net") > netBefore + 5
        }
        #expect(back, "\(pipeline.stderr)")
        let stop = pipeline.stop()
        server?.stop()
        #expect(stop.status == 0)
        let ids = JSONLines.frameIDsByStream(try JSONLines.read(run.output))
        for stream in ["file", "net"] {
            let list = ids[stream] ?? []
            #expect(
                zip(list, list.dropFirst()).allSatisfy { $0 < $1 }, "\(stream) ids must increase across the reconnect")
        }
        print(
            "fault: \(url) server killed (SIGKILL) and restarted; held: net went offline and came back (\(ids["net"]?.count ?? 0) results, ids increasing), file kept producing (\(ids["file"]?.count ?? 0) results), exit \(stop.status.map(String.init) ?? "?")"
        )
    }
}
