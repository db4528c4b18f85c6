import AnalyticsCore
import Foundation
import TestSupport
import Testing

/// The alerts process on the real pipeline's 32-stream sample, a real broker, a real Mosquitto and real HTTP
/// receivers, checked by an independent computation from the topics (scripts/alerts-check.py).
@Suite("Alerts processes", .serialized, .timeLimit(.minutes(10)))
struct AlertsProcessTests {
    static let runSeconds = 45.0
    static let secret = "test-secret-\(UUID().uuidString.prefix(6))"

    static func rules(deliveries: String) -> String {
        """
          rules:
            - {name: crowd-on-path, type: occupancy, streams: ["vtest-*"], zone: path, classes: [person], min_count: 5, for_s: 3, deliveries: [\(deliveries)]}
            - {name: busy-gate, type: crossings, streams: ["vtest-*"], line: gate, classes: [person], min_count: 3, window_s: 10, deliveries: [\(deliveries)]}

        """
    }

    @Test(
        "the sample with an occupancy and a crossings rule: notifications fire and resolve when the independent computation says; a receiver refusing two attempts gets each id exactly once with a valid signature, MQTT and the alerts topic the same ids; a process SIGKILLed three times still delivers every expected id"
    )
    func sampleAlerts() throws {
        let (broker, owned) = try KafkaBroker.addressForTest(.noida)
        defer { _ = owned }
        let mqtt = try MQTTBroker()
        let directory = try TestEnvironment.makeTemporaryDirectory("alerts-sample")
        defer { try? FileManager.default.removeItem(at: directory) }
        let sample = AlertsSample(broker: broker, directory: directory)
        let records = (
            refusing: directory.appendingPathComponent("refusing.jsonl"),
            plain: directory.appendingPathComponent("plain.jsonl"),
            killed: directory.appendingPathComponent("killed.jsonl")
        )
        let refusing = try startReceiver(
            secret: Self.secret, refuse: 2, record: records.refusing, directory: directory, label: "refusing")
        let plain = try startReceiver(secret: Self.secret, record: records.plain, directory: directory, label: "plain")
        let killedReceiver = try startReceiver(
            secret: Self.secret, refuse: 2, record: records.killed, directory: directory, label: "killed-receiver")
        defer {
            for receiver in [refusing, plain, killedReceiver] { _ = receiver.process.stop() }
        }
        let prefix = "ra-test-\(UUID().uuidString.prefix(8))"
        let subscriber = try mqtt.subscribe("\(prefix)/#", directory: directory, label: "mosquitto_sub")
        defer { _ = subscriber.stop() }
        let topics = (a: KafkaBroker.uniqueTopic("alerts-a"), b: KafkaBroker.uniqueTopic("alerts-b"))
        let ports = (a: try TestEnvironment.freePort(), b: try TestEnvironment.freePort())
        let steady = try sample.configuration(
            alerts: """
                alerts:
                  topic: \(topics.a)
                  dead_letter_topic: \(topics.a).dead
                  state_path: \(directory.path)/state-a.json
                  start_at: oldest
                  port: \(ports.a)
                  status_interval_s: 2
                  deliveries:
                    - {name: refusing, type: webhook, url: "http://127.0.0.1:\(refusing.port)/alerts", secret: \(Self.secret), retries: 5, backoff_ms: 100, max_backoff_ms: 400}
                    - {name: plain, type: webhook, url: "http://127.0.0.1:\(plain.port)/alerts", secret: \(Self.secret)}
                    - {name: site, type: mqtt, host: \(mqtt.host), port: \(mqtt.port), topic: "\(prefix)/{stream}/{rule}"}
                """ + "\n" + Self.rules(deliveries: "refusing, plain, site"), label: "steady")
        let crashing = try sample.configuration(
            alerts: """
                alerts:
                  topic: \(topics.b)
                  dead_letter_topic: \(topics.b).dead
                  state_path: \(directory.path)/state-b.json
                  start_at: oldest
                  port: \(ports.b)
                  status_interval_s: 2
                  deliveries:
                    - {name: receiver, type: webhook, url: "http://127.0.0.1:\(killedReceiver.port)/alerts", secret: \(Self.secret), retries: 5, backoff_ms: 100, max_backoff_ms: 400}
                """ + "\n" + Self.rules(deliveries: "receiver"), label: "crashing")
        #expect(subscriber.isRunning, "mosquitto_sub: \(subscriber.stderr)")

        let binary = try TestEnvironment.executable("realtime-analytics")
        let steadyAlerts = try ChildProcess(
            binary, ["alerts", "--config", steady.path], directory: directory, label: "alerts-a")
        defer { _ = steadyAlerts.stop() }
        var starts = 0
        var crashingAlerts: ChildProcess?
        func startCrashing() throws {
            starts += 1
            crashingAlerts = try ChildProcess(
                binary, ["alerts", "--config", crashing.path], directory: directory, label: "alerts-b-\(starts)")
        }
        try startCrashing()
        defer { _ = crashingAlerts?.stop() }
        let pipeline = try ChildProcess(binary, ["--config", steady.path], directory: directory, label: "pipeline")
        defer { _ = pipeline.stop() }

        // Three SIGKILLs at random moments (at least 6 s apart), each while notifications arrive, then a restart: one
        // in each third of [15 s, runSeconds - 5 s], ending 6 s before the next third begins. (Drawing three
        // moments and rejecting close ones can leave no room for the third and loop for ever.)
        let seed = UInt64(Date().timeIntervalSince1970)
        var random = SeededRandomGenerator(seed: seed)
        let third = (Self.runSeconds - 5 - 15) / 3
        let moments = (0..<3).map { slot in
            let start = 15 + Double(slot) * third
            return Double.random(in: start...(start + third - 6), using: &random)
        }
        print(
            "alerts sample: seed \(seed), SIGKILLs at \(moments.map { String(format: "%.1f s", $0) }.joined(separator: ", "))"
        )
        let started = Date()
        for moment in moments {
            let wait = moment - Date().timeIntervalSince(started)
            if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
            let before = lines(of: records.killed).count
            #expect(
                crashingAlerts?.isRunning == true,
                "alerts-b stopped by itself: \(crashingAlerts?.stderr.suffix(1500) ?? "")")
            _ = crashingAlerts?.stop(signal: SIGKILL)
            print(
                "alerts sample: SIGKILL at \(String(format: "%.1f", Date().timeIntervalSince(started))) s, \(before) attempts received so far"
            )
            usleep(UInt32(Double.random(in: 0.1...2, using: &random) * 1_000_000))
            try startCrashing()
        }
        let rest = Self.runSeconds - Date().timeIntervalSince(started)
        if rest > 0 { usleep(UInt32(rest * 1_000_000)) }
        #expect(pipeline.isRunning, "the pipeline stopped: \(pipeline.stderr.suffix(2000))")
        _ = pipeline.stop(signal: SIGTERM, waitingAtMost: 30)

        // Everything delivered once the receivers' records stop growing (retries and the restarted process's
        // catch-up included).
        var sizes = (0, 0, 0)
        var quietSince = Date()
        _ = ChildProcess.waitUntil(atMost: 120) {
            let now = (
                lines(of: records.refusing).count, lines(of: records.plain).count, lines(of: records.killed).count
            )
            if now != sizes {
                sizes = now
                quietSince = Date()
            }
            return Date().timeIntervalSince(quietSince) > 6
        }
        let page = fetch("http://127.0.0.1:\(ports.a)/metrics").body
        #expect(metric(page, "alerts_deliveries_total", "result=\"dead_lettered\"") == 0)
        #expect(metric(page, "alerts_deliveries_total", "result=\"delivered\"") > 0)
        #expect(fetch("http://127.0.0.1:\(ports.a)/readyz").status == 200)
        for process in [steadyAlerts, crashingAlerts!] {
            let stopped = process.stop(signal: SIGTERM, waitingAtMost: 15)
            #expect(stopped.status == 0, "SIGTERM: \(process.stderr.suffix(1500))")
            #expect(process.stderr.contains("stopped: every thread has ended"), "\(process.stderr.suffix(800))")
        }
        usleep(500_000)
        _ = subscriber.stop()
        let mqttFile = directory.appendingPathComponent("mqtt.txt")
        try subscriber.stdout.write(to: mqttFile, atomically: true, encoding: .utf8)

        let steadyVerdict = try sample.check(
            configuration: steady,
            [
                "--received", records.refusing.path, "--exactly-once", "--refused", "2", "--received",
                records.plain.path, "--mqtt", mqttFile.path, "--alerts-topic", topics.a, "--latency",
                records.plain.path,
            ])
        print("alerts sample (steady):\n\(steadyVerdict.report)")
        #expect(steadyVerdict.ok, "\(steadyVerdict.report)\n\(steadyAlerts.stderr.suffix(2000))")
        let crashingVerdict = try sample.check(
            configuration: crashing, ["--received", records.killed.path, "--alerts-topic", topics.b])
        print("alerts sample (SIGKILLed 3 times):\n\(crashingVerdict.report)")
        #expect(crashingVerdict.ok, "\(crashingVerdict.report)\n\(crashingAlerts?.stderr.suffix(2000) ?? "")")
    }
}
