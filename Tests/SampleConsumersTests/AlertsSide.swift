import Foundation
import TestSupport
import Testing

/// The alerts side of the sample run: a steady alerts process delivering to a receiver that refuses the first two
/// attempts of each id, a plain receiver and MQTT; and a crashing one (SIGKILLed during the run) delivering to a
/// refusing receiver of its own. Both evaluate an occupancy and a crossings rule.
final class AlertsSide {
    static let secret = "test-secret-\(UUID().uuidString.prefix(6))"

    let bus: SampleBus
    let steady: URL
    let crashing: URL
    private let mqtt: MQTTBroker
    private let records: (refusing: URL, plain: URL, killed: URL)
    private let receivers: [ChildProcess]
    private let subscriber: ChildProcess
    private let topics: (a: String, b: String)
    private let steadyPort: Int
    private var steadyAlerts: ChildProcess?
    private var crashingAlerts: ChildProcess?
    private var starts = 0

    /// A delivery's name and its entry (a YAML flow mapping) in `alerts.deliveries`.
    typealias Delivery = (name: String, entry: String)

    /// An `alerts:` section reading from the oldest message, with `deliveries`, which both rules use.
    static func section(topic: String, state: URL, port: Int, deliveries: [Delivery]) -> String {
        """
        alerts:
          topic: \(topic)
          dead_letter_topic: \(topic).dead
          state_path: \(state.path)
          start_at: oldest
          port: \(port)
          status_interval_s: 2
          deliveries:
        \(deliveries.map { "    - \($0.entry)" }.joined(separator: "\n"))

        """ + rules(deliveries: deliveries.map(\.name).joined(separator: ", "))
    }

    /// A webhook delivery to a test receiver on `port`; `retrying`: fast retries, so refusals cost little time.
    static func webhook(name: String, port: Int, retrying: Bool) -> Delivery {
        let retries = retrying ? ", retries: 5, backoff_ms: 100, max_backoff_ms: 400" : ""
        return (
            name,
            "{name: \(name), type: webhook, url: \"http://127.0.0.1:\(port)/alerts\", secret: \(secret)\(retries)}"
        )
    }

    static func rules(deliveries: String) -> String {
        """
          rules:
            - {name: crowd-on-path, type: occupancy, streams: ["vtest-*"], zone: path, classes: [person], min_count: 5, for_s: 3, deliveries: [\(deliveries)]}
            - {name: busy-gate, type: crossings, streams: ["vtest-*"], line: gate, classes: [person], min_count: 3, window_s: 10, deliveries: [\(deliveries)]}

        """
    }

    init(bus: SampleBus) throws {
        self.bus = bus
        let directory = bus.directory
        mqtt = try MQTTBroker()
        records = (
            directory.appendingPathComponent("refusing.jsonl"), directory.appendingPathComponent("plain.jsonl"),
            directory.appendingPathComponent("killed.jsonl")
        )
        let refusing = try startReceiver(
            secret: Self.secret, refuse: 2, record: records.refusing, directory: directory, label: "refusing")
        let plain = try startReceiver(secret: Self.secret, record: records.plain, directory: directory, label: "plain")
        let killedReceiver = try startReceiver(
            secret: Self.secret, refuse: 2, record: records.killed, directory: directory, label: "killed-receiver")
        receivers = [refusing.process, plain.process, killedReceiver.process]
        let prefix = "ra-test-\(UUID().uuidString.prefix(8))"
        subscriber = try mqtt.subscribe("\(prefix)/#", directory: directory, label: "mosquitto_sub")
        topics = (KafkaBroker.uniqueTopic("alerts-a"), KafkaBroker.uniqueTopic("alerts-b"))
        steadyPort = try TestEnvironment.freePort()
        let refusingHook = Self.webhook(name: "refusing", port: refusing.port, retrying: true)
        let plainHook = Self.webhook(name: "plain", port: plain.port, retrying: false)
        let site: Delivery = (
            "site",
            "{name: site, type: mqtt, host: \(mqtt.host), port: \(mqtt.port), topic: \"\(prefix)/{stream}/{rule}\"}"
        )
        steady = try bus.alertsConfiguration(
            alerts: Self.section(
                topic: topics.a, state: directory.appendingPathComponent("state-a.json"), port: steadyPort,
                deliveries: [refusingHook, plainHook, site]),
            label: "alerts-steady")
        crashing = try bus.alertsConfiguration(
            alerts: Self.section(
                topic: topics.b, state: directory.appendingPathComponent("state-b.json"),
                port: try TestEnvironment.freePort(),
                deliveries: [Self.webhook(name: "receiver", port: killedReceiver.port, retrying: true)]),
            label: "alerts-crashing")
        #expect(subscriber.isRunning, "mosquitto_sub: \(subscriber.stderr)")
    }

    func start() throws {
        steadyAlerts = try ChildProcess(
            try TestEnvironment.executable("realtime-analytics"), ["alerts", "--config", steady.path],
            directory: bus.directory, label: "alerts-a")
        try startCrashing()
    }

    func startCrashing() throws {
        starts += 1
        crashingAlerts = try ChildProcess(
            try TestEnvironment.executable("realtime-analytics"), ["alerts", "--config", crashing.path],
            directory: bus.directory, label: "alerts-b-\(starts)")
    }

    func kill() {
        #expect(
            crashingAlerts?.isRunning == true,
            "alerts-b stopped by itself: \(crashingAlerts?.stderr.suffix(1500) ?? "")")
        _ = crashingAlerts?.stop(signal: SIGKILL)
        print("sample consumers: alerts-b SIGKILLed, \(lines(of: records.killed).count) attempts received so far")
    }

    /// Once the receivers' records stop growing (retries and the restarted process's catch-up included): every
    /// notification the independent computation expects, exactly as the issue asks.
    func verify() throws {
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
            return Date().timeIntervalSince(quietSince) > 4  // ten times the longest retry backoff (400 ms)
        }
        let page = fetch("http://127.0.0.1:\(steadyPort)/metrics").body
        #expect(metric(page, "alerts_deliveries_total", "result=\"dead_lettered\"") == 0)
        #expect(metric(page, "alerts_deliveries_total", "result=\"delivered\"") > 0)
        #expect(fetch("http://127.0.0.1:\(steadyPort)/readyz").status == 200)
        for process in [steadyAlerts, crashingAlerts].compactMap({ $0 }) {
            let stopped = process.stop(signal: SIGTERM, waitingAtMost: 15)
            #expect(stopped.status == 0, "SIGTERM: \(process.stderr.suffix(1500))")
            #expect(process.stderr.contains("stopped: every thread has ended"), "\(process.stderr.suffix(800))")
        }
        usleep(500_000)
        _ = subscriber.stop()
        let mqttFile = bus.directory.appendingPathComponent("mqtt.txt")
        try subscriber.stdout.write(to: mqttFile, atomically: true, encoding: .utf8)

        let steadyVerdict = try bus.alertsCheck(
            configuration: steady,
            [
                "--received", records.refusing.path, "--exactly-once", "--refused", "2", "--received",
                records.plain.path, "--mqtt", mqttFile.path, "--alerts-topic", topics.a, "--latency",
                records.plain.path,
            ])
        print("sample consumers, alerts (steady):\n\(steadyVerdict.report)")
        #expect(steadyVerdict.ok, "\(steadyVerdict.report)\n\(steadyAlerts?.stderr.suffix(2000) ?? "")")
        let crashingVerdict = try bus.alertsCheck(
            configuration: crashing, ["--received", records.killed.path, "--alerts-topic", topics.b])
        print("sample consumers, alerts (SIGKILLed 3 times):\n\(crashingVerdict.report)")
        #expect(crashingVerdict.ok, "\(crashingVerdict.report)\n\(crashingAlerts?.stderr.suffix(2000) ?? "")")
    }

    func stopAll() {
        for process in [steadyAlerts, crashingAlerts].compactMap({ $0 }) + receivers + [subscriber] {
            _ = process.stop()
        }
    }
}
