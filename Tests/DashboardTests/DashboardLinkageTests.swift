import Foundation
import TestSupport
import Testing

/// The dashboard is a Kafka consumer and a web server, usually on a host of its own: its binary must not carry the
/// pipeline's video and inference libraries (the package graph keeps Dashboard off Pipeline, Detection and
/// VideoIngest; this checks the result), and it reads only the sections of the shared file that it uses.
@Suite("Dashboard on a host of its own", .serialized, .timeLimit(.minutes(1)))
struct DashboardLinkageTests {
    @Test("ldd of realtime-analytics-dashboard shows no OpenVINO, FFmpeg or libjpeg-turbo; the pipeline's binary does")
    func dashboardLinksNoPipelineLibraries() throws {
        let heavy = ["libopenvino", "libavcodec", "libavformat", "libswscale", "libturbojpeg"]
        func linked(_ executable: String) throws -> [String] {
            let result = try ChildProcess.run("/usr/bin/ldd", [try TestEnvironment.executable(executable)], timeout: 20)
            try #require(result.status == 0, "ldd failed: \(result.stderr)")
            return heavy.filter { result.stdout.contains($0) }
        }
        #expect(try linked("realtime-analytics-dashboard").isEmpty)
        // The same check on the pipeline proves it can see these libraries at all.
        #expect(try linked("realtime-analytics").count == heavy.count)
    }
}

extension DashboardLinkageTests {
    @Test(
        "the pipeline's file, on a host without its model, labels or output folder: the dashboard serves its streams and consume runs; validate still names the model"
    )
    func startsWithoutThePipelinesFiles() throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("dashboard-host")
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = try TestEnvironment.freePort()
        let config = directory.appendingPathComponent("config.yaml")
        try """
        streams:
          - id: dock-1
            url: rtsp://10.0.0.5/stream
            zones:
              - {name: bay, polygon: [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9]], classes: [forklift]}
        model: {path: /opt/models/detector.xml, labels: /opt/models/warehouse.names}
        output: {jsonl: {enabled: true, path: /var/lib/analytics/out.jsonl}}
        kafka: {enabled: true, bootstrap_servers: "127.0.0.1:1", topic: dock}
        dashboard: {port: \(port)}
        """.write(to: config, atomically: true, encoding: .utf8)

        let dashboard = try ChildProcess(
            try TestEnvironment.executable("realtime-analytics-dashboard"), ["--config", config.path],
            directory: directory, label: "dashboard")
        defer { dashboard.stop() }
        #expect(KafkaBroker.waitForPort(port, seconds: 15), "the dashboard did not start: \(dashboard.stderr)")
        let api = try ChildProcess.run(
            "/usr/bin/curl", ["-s", "-m", "5", "http://127.0.0.1:\(port)/api/streams"], timeout: 10)
        let streams =
            ((try? JSONSerialization.jsonObject(with: Data(api.stdout.utf8)) as? [String: Any])?["streams"]
                as? [[String: Any]]) ?? []
        #expect(streams.compactMap { $0["id"] as? String } == ["dock-1"], "\(api.stdout.prefix(300))")
        #expect(dashboard.stop(signal: SIGTERM, waitingAtMost: 10).status == 0, "\(dashboard.stderr.suffix(500))")

        let consume = try ChildProcess.run(
            try TestEnvironment.executable("realtime-analytics"),
            ["consume", "--config", config.path, "--seconds", "1"], timeout: 30)
        #expect(consume.status == 0 && !consume.stderr.contains("configuration error"), "\(consume.stderr)")

        let validate = try ChildProcess.run(
            try TestEnvironment.executable("realtime-analytics"), ["validate", "--config", config.path], timeout: 30)
        #expect(validate.status == 2, "\(validate.stderr)")
        #expect(validate.stderr.contains("model.path: /opt/models/detector.xml does not exist"), "\(validate.stderr)")
    }
}
