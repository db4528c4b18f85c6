import Foundation
import TestSupport
import Testing

/// Firing alerts on the dashboard, read from the alerts topic, in a real browser: live, and in a replay.
@Suite("Alerts on the dashboard", .serialized, .timeLimit(.minutes(5)))
struct AlertsDashboardTests {
    static func notification(
        _ rule: String, _ stream: String, state: String, started: Int64, at: Int64, severity: String
    ) -> String {
        let instance = "\(rule)/\(stream)/path"
        let ended = state == "resolved" ? #","ended_at_ms":\#(at)"# : ""
        return
            #"{"schema_version":1,"id":"\#(instance)/\#(started)/\#(state)","instance":"\#(instance)","rule":"\#(rule)","type":"occupancy","stream":"\#(stream)","zone":"path","state":"\#(state)","repeat":0,"severity":"\#(severity)","text":"\#(rule) on \#(stream) is \#(state)","value":5,"started_at_ms":\#(started)\#(ended),"at_ms":\#(at),"frame_id":1}"#
    }

    @Test(
        "a firing alert marks its stream's tile and heads the alerts panel; a resolved one is listed after it with its firing, its tile unmarked; the same in a replay from before them"
    )
    func browserShowsAlerts() throws {
        let (broker, owned) = try KafkaBroker.addressForTest(.noida)
        defer { _ = owned }
        let directory = try TestEnvironment.makeTemporaryDirectory("alerts-dashboard")
        defer { try? FileManager.default.removeItem(at: directory) }
        let frames = KafkaBroker.uniqueTopic("alerts-dashboard-frames")
        let alertsTopic = KafkaBroker.uniqueTopic("alerts-dashboard")
        let port = try TestEnvironment.freePort()
        let configuration = directory.appendingPathComponent("dashboard.yaml")
        try """
        kafka: {bootstrap_servers: "\(broker)", topic: \(frames)}
        dashboard: {port: \(port), start_at: oldest, stale_after_s: 60, offline_after_s: 120}
        alerts: {topic: \(alertsTopic)}
        """.write(to: configuration, atomically: true, encoding: .utf8)
        let start = Int64(Date().timeIntervalSince1970 * 1000)
        var messages: [(key: String, value: String)] = []
        for index in 0..<6 {
            for stream in ["cam-1", "cam-2"] {
                messages.append(
                    (stream, AlertsFaultTests.frame(stream, index, ms: start + Int64(index) * 400, people: 5)))
            }
        }
        try AlertsFaultTests.produce(broker, topic: frames, messages)
        try AlertsFaultTests.produce(
            broker, topic: alertsTopic,
            [
                (
                    "crowd/cam-1/path",
                    Self.notification(
                        "crowd", "cam-1", state: "firing", started: start + 400, at: start + 400, severity: "critical")
                ),
                (
                    "crowd/cam-2/path",
                    Self.notification(
                        "crowd", "cam-2", state: "firing", started: start + 800, at: start + 800, severity: "warning")
                ),
                (
                    "crowd/cam-2/path",
                    Self.notification(
                        "crowd", "cam-2", state: "resolved", started: start + 800, at: start + 1600, severity: "warning"
                    )
                ),
            ])
        let dashboard = try ChildProcess(
            try TestEnvironment.executable("realtime-analytics-dashboard"), ["--config", configuration.path],
            directory: directory, label: "dashboard")
        defer { _ = dashboard.stop() }
        #expect(KafkaBroker.waitForPort(port, seconds: 20))

        for replayFrom in [nil, start - 2000] as [Int64?] {
            let label = replayFrom == nil ? "live" : "replay"
            var arguments = [
                "python3", TestEnvironment.script("alerts-browser-check.py"), "http://127.0.0.1:\(port)/",
                "--screenshot", directory.appendingPathComponent("\(label).png").path, "--expect-rows", "3",
            ]
            if let replayFrom { arguments += ["--replay-from", String(replayFrom)] }
            let result = try ChildProcess.run("/usr/bin/env", arguments, timeout: 90)
            let report = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
                "\(label): \(result.stdout) \(result.stderr)")
            print("alerts dashboard (\(label)): \(result.stdout)")
            let rows = report["rows"] as? [[String: Any]] ?? []
            #expect(rows.count == 3, "\(label): \(rows)\n\(dashboard.stderr.suffix(1500))")
            #expect(rows.first?["firing"] as? Bool == true && rows.first?["stream"] as? String == "cam-1")
            #expect(rows.first?["text"] as? String == "crowd on cam-1 is firing")
            // Then the newest notifications: cam-2's resolve, then its firing (cam-1's firing heads the list once).
            #expect(
                rows.dropFirst().map { "\($0["state"] ?? "") \($0["stream"] ?? "")" } == [
                    "resolved cam-2", "fired cam-2",
                ])
            let tiles = Dictionary(
                uniqueKeysWithValues: (report["tiles"] as? [[String: Any]] ?? []).map {
                    ($0["id"] as? String ?? "", $0)
                })
            #expect(tiles["cam-1"]?["alerting"] as? Bool == true, "\(label): \(tiles)")
            #expect(tiles["cam-1"]?["mark"] as? String == "⚠ crowd")
            #expect((tiles["cam-1"]?["mark_class"] as? String)?.contains("critical") == true)
            #expect(tiles["cam-2"]?["alerting"] as? Bool == false && tiles["cam-2"]?["mark_hidden"] as? Bool == true)
            #expect(report["firing_label"] as? String == "1 firing")
        }
    }
}
