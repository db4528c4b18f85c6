import AnalyticsCore
import Foundation
import TestSupport
import Testing

/// The bus's two consumers on one run of the real pipeline's 32-stream sample (a real broker, Mosquitto, HTTP
/// receivers, PostgreSQL and SQLite), as they run in production: side by side on the same topics, each SIGKILLed and
/// restarted during the run, each checked by an independent reader of the topics (scripts/alerts-check.py,
/// scripts/archive-check.py). One run instead of one per consumer: the pipeline is the costly part.
@Suite("The sample's consumers", .serialized, .timeLimit(.minutes(10)))
struct SampleConsumersTests {
    /// How long the pipeline runs.
    static let runSeconds = 40.0

    @Test(
        "the 32-stream sample with alerts and archives: occupancy and crossings alerts fire and resolve when the independent computation says, a receiver refusing two attempts gets each id once with a valid signature, MQTT and the alerts topic the same ids, an alerts process SIGKILLed three times delivers every id; SQLite and PostgreSQL archives SIGKILLed three times each hold the topics' counts key for key, report equals the docs' SQL, the History view draws it"
    )
    func sampleWithConsumers() throws {
        let (broker, owned) = try KafkaBroker.addressForTest(.noida)
        defer { _ = owned }
        let directory = try TestEnvironment.makeTemporaryDirectory("sample-consumers")
        defer { try? FileManager.default.removeItem(at: directory) }
        let bus = SampleBus(broker: broker, directory: directory)
        let alerts = try AlertsSide(bus: bus)
        defer { alerts.stopAll() }
        let archives = try ArchiveSide(bus: bus)
        defer { archives.stopAll() }

        let binary = try TestEnvironment.executable("realtime-analytics")
        try alerts.start()
        try archives.start()
        let pipeline = try ChildProcess(
            binary, ["--config", alerts.steady.path], directory: directory, label: "pipeline")
        defer { _ = pipeline.stop() }

        // SIGKILLs at random moments, each followed by a restart after 0.1-2 s: the crashing alerts process once in
        // each third of [15 s, run - 5 s] (at least 6 s apart, while notifications arrive), each archive once in each
        // third of [6 s, run - 4 s] (at least 4 s apart). Drawing moments and rejecting close ones instead can leave
        // no room for the last and loop for ever.
        let seed = UInt64(Date().timeIntervalSince1970)
        var random = SeededRandomGenerator(seed: seed)
        func thirds(from start: Double, to end: Double, apart: Double) -> [Double] {
            let third = (end - start) / 3
            return (0..<3).map { slot in
                let from = start + Double(slot) * third
                return Double.random(in: from...(from + third - apart), using: &random)
            }
        }
        var kills: [(at: Double, victim: Victim, pause: Double)] =
            thirds(from: 15, to: Self.runSeconds - 5, apart: 6).map { ($0, .alerts, 0) }
        for kind in DatabaseKind.allCases {
            kills += thirds(from: 6, to: Self.runSeconds - 4, apart: 4).map { ($0, .archive(kind), 0) }
        }
        kills = kills.map { ($0.at, $0.victim, Double.random(in: 0.1...2, using: &random)) }.sorted { $0.at < $1.at }
        print(
            "sample consumers: seed \(seed), SIGKILLs at \(kills.map { String(format: "%.1f s %@", $0.at, "\($0.victim)") }.joined(separator: ", "))"
        )
        // A pause is spent before the next kill's moment; a restart is due once its pause has passed.
        var restarts: [(due: Double, victim: Victim)] = []
        let started = Date()
        func elapsed() -> Double { Date().timeIntervalSince(started) }
        func restartDue() throws {
            let now = elapsed()
            for restart in restarts where restart.due <= now { try restart.victim.start(alerts, archives) }
            restarts.removeAll { $0.due <= now }
        }
        for kill in kills {
            while elapsed() < kill.at {
                try restartDue()
                usleep(50_000)
            }
            kill.victim.kill(alerts, archives)
            restarts.append((elapsed() + kill.pause, kill.victim))
        }
        while elapsed() < Self.runSeconds || !restarts.isEmpty {
            try restartDue()
            usleep(50_000)
        }
        #expect(pipeline.isRunning, "the pipeline stopped: \(pipeline.stderr.suffix(2000))")
        _ = pipeline.stop(signal: SIGTERM, waitingAtMost: 30)

        try alerts.verify()
        try archives.verify()
    }
}

private enum Victim: CustomStringConvertible {
    case alerts
    case archive(DatabaseKind)

    var description: String {
        switch self {
        case .alerts: "alerts"
        case .archive(let kind): "archive \(kind)"
        }
    }

    func kill(_ alerts: AlertsSide, _ archives: ArchiveSide) {
        switch self {
        case .alerts: alerts.kill()
        case .archive(let kind): archives.kill(kind)
        }
    }

    func start(_ alerts: AlertsSide, _ archives: ArchiveSide) throws {
        switch self {
        case .alerts: try alerts.startCrashing()
        case .archive(let kind): try archives.start(kind)
        }
    }
}
