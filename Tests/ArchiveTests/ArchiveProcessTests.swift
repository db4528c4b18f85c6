import AnalyticsCore
import Foundation
import TestSupport
import Testing

/// The archive as a process: the real pipeline on the 32-stream sample, a real broker, a real PostgreSQL server and a
/// SQLite file, checked by an independent reader (scripts/archive-check.py), the report against the docs' SQL through
/// the databases' own command-line clients, and the History view in a real browser.
@Suite("Archive processes", .serialized, .timeLimit(.minutes(10)))
struct ArchiveProcessTests {
    /// How long the pipeline runs.
    static let runSeconds = 40.0

    @Test(
        "the 32-stream sample into SQLite and PostgreSQL, each archive SIGKILLed three times at random moments: crossings per minute and line, events, frames and the track rows equal the topics', key for key; report equals the docs' SQL; the History view draws the report's counts"
    )
    func sampleIntoBothDatabases() throws {
        let (broker, owned) = try KafkaBroker.addressForTest(.noida)
        defer { _ = owned }
        let directory = try TestEnvironment.makeTemporaryDirectory("archive-sample")
        defer { try? FileManager.default.removeItem(at: directory) }
        let sample = ArchiveSample(broker: broker, directory: directory)
        let sqlitePath = directory.appendingPathComponent("archive.sqlite").path
        let postgresURL = try sharedPostgres.get().makeDatabase("sample")
        let dashboardPort = try TestEnvironment.freePort()
        var configurations: [DatabaseKind: URL] = [:]
        var archivePorts: [DatabaseKind: Int] = [:]
        for kind in DatabaseKind.allCases {
            archivePorts[kind] = try TestEnvironment.freePort()
            configurations[kind] = try sample.configuration(
                archiveURL: kind == .sqlite ? "sqlite:\(sqlitePath)" : postgresURL, archivePort: archivePorts[kind]!,
                dashboardPort: dashboardPort, label: kind.rawValue)
        }
        let binary = try TestEnvironment.executable("realtime-analytics")
        let pipeline = try ChildProcess(
            binary, ["--config", configurations[.sqlite]!.path], directory: directory, label: "pipeline")
        var starts: [DatabaseKind: Int] = [:]
        var archives: [DatabaseKind: ChildProcess] = [:]
        func startArchive(_ kind: DatabaseKind) throws {
            starts[kind, default: 0] += 1
            archives[kind] = try ChildProcess(
                binary, ["archive", "--config", configurations[kind]!.path], directory: directory,
                label: "archive-\(kind.rawValue)-\(starts[kind]!)")
        }
        for kind in DatabaseKind.allCases { try startArchive(kind) }

        // Three SIGKILLs per archive at random moments of the run (at least 4 s apart), each followed by a restart.
        let seed = UInt64(Date().timeIntervalSince1970)
        var random = SeededRandomGenerator(seed: seed)
        var kills: [(at: Double, kind: DatabaseKind, pause: Double)] = []
        // One in each third of [6 s, runSeconds - 4 s], ending 4 s before the next third begins (rejecting close
        // draws instead could loop for ever).
        let third = (Self.runSeconds - 4 - 6) / 3
        for kind in DatabaseKind.allCases {
            let moments = (0..<3).map { slot in
                let start = 6 + Double(slot) * third
                return Double.random(in: start...(start + third - 4), using: &random)
            }
            kills += moments.map { ($0, kind, Double.random(in: 0.1...2, using: &random)) }
        }
        kills.sort { $0.at < $1.at }
        print(
            "archive sample: seed \(seed), kills at \(kills.map { String(format: "%.1f s %@", $0.at, $0.kind.description) }.joined(separator: ", "))"
        )
        let started = Date()
        for kill in kills {
            let wait = kill.at - Date().timeIntervalSince(started)
            if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
            let archive = archives[kill.kind]!
            #expect(archive.isRunning, "the \(kill.kind) archive stopped by itself: \(archive.stderr.suffix(1500))")
            _ = archive.stop(signal: SIGKILL)
            usleep(UInt32(kill.pause * 1_000_000))
            try startArchive(kill.kind)
        }
        let rest = Self.runSeconds - Date().timeIntervalSince(started)
        if rest > 0 { usleep(UInt32(rest * 1_000_000)) }
        #expect(pipeline.isRunning, "the pipeline stopped: \(pipeline.stderr.suffix(2000))")
        _ = pipeline.stop(signal: SIGTERM, waitingAtMost: 30)

        // The independent reader: every key of every count equal, once the archive has caught up.
        for kind in DatabaseKind.allCases {
            let verdict = try sample.check(kind == .sqlite ? ["--sqlite", sqlitePath] : ["--postgres", postgresURL])
            print("archive sample (\(kind)): \(verdict.report)")
            #expect(verdict.equal, "\(kind): \(verdict.report)\n\(archives[kind]!.stderr.suffix(2000))")
        }
        for kind in DatabaseKind.allCases {
            let page = fetch("http://127.0.0.1:\(archivePorts[kind]!)/metrics").body
            #expect(metric(page, "archive_lag_messages") == 0)
            #expect(metric(page, "archive_database_up") == 1)
            #expect(fetch("http://127.0.0.1:\(archivePorts[kind]!)/readyz").status == 200)
            let stopped = archives[kind]!.stop(signal: SIGTERM, waitingAtMost: 15)
            #expect(stopped.status == 0, "SIGTERM: \(archives[kind]!.stderr.suffix(1500))")
            #expect(archives[kind]!.stderr.contains("stopped: every thread has ended"))
        }

        // report --since 1h --by hour --csv prints what the docs' SQL gives, on both databases.
        let sinceMs = Int64(Date().timeIntervalSince1970 * 1000) - 3_600_000
        let sql = try documentedSQL("counts-per-hour")
        var reported: [DatabaseKind: Set<String>] = [:]
        for kind in DatabaseKind.allCases {
            let report = try ChildProcess.run(
                binary, ["report", "--config", configurations[kind]!.path, "--since", "1h", "--by", "hour", "--csv"],
                timeout: 30)
            try #require(report.status == 0, "\(report.stderr)")
            let rows = Set(
                report.stdout.split(separator: "\n").dropFirst().map { line -> String in
                    var fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                    fields[0] = String(Int64((CaptureTimeParser.date(fields[0])?.timeIntervalSince1970 ?? 0) * 1000))
                    return fields.joined(separator: ",")
                })
            let queried: [String]
            if kind == .sqlite {
                let result = try ChildProcess.run(
                    "/usr/bin/sqlite3", ["-csv", sqlitePath, ".parameter set :since_ms \(sinceMs)", sql], timeout: 30)
                try #require(result.status == 0, "\(result.stderr)")
                // sqlite3's CSV quotes an empty text; the report leaves the field empty.
                queried = result.stdout.split(separator: "\n").map { $0.replacingOccurrences(of: ",\"\",", with: ",,") }
            } else {
                let file = directory.appendingPathComponent("counts.sql")
                try sql.write(to: file, atomically: true, encoding: .utf8)
                let result = try ChildProcess.run(
                    "/usr/bin/env",
                    ["psql", postgresURL, "-v", "since_ms=\(sinceMs)", "-At", "-F", ",", "-f", file.path], timeout: 30)
                try #require(result.status == 0, "\(result.stderr)")
                queried = result.stdout.split(separator: "\n").map(String.init)
            }
            #expect(!rows.isEmpty)
            #expect(rows == Set(queried), "\(kind): report and docs SQL differ")
            reported[kind] = rows
            print("archive sample (\(kind)): report --since 1h --by hour --csv = docs SQL, \(rows.count) rows")
        }
        #expect(reported[.sqlite] == reported[.postgres], "the two archives hold different counts")

        // The History view, in a real browser, draws the report's counts (SQLite's archive, read-only).
        let dashboard = try ChildProcess(
            try TestEnvironment.executable("realtime-analytics-dashboard"),
            ["--config", configurations[.sqlite]!.path], directory: directory, label: "dashboard")
        defer { _ = dashboard.stop() }
        #expect(KafkaBroker.waitForPort(dashboardPort, seconds: 20))
        let screenshot = directory.appendingPathComponent("history.png").path
        let seen = try ChildProcess.run(
            "/usr/bin/env",
            [
                "python3", TestEnvironment.script("history-check.py"), "http://127.0.0.1:\(dashboardPort)/",
                "--screenshot", screenshot, "--range", "6h", "--by", "hour",
            ], timeout: 90)
        try #require(seen.status == 0, "\(seen.stderr)")
        let view = try JSONDecoder().decode(HistoryView.self, from: Data(seen.stdout.utf8))
        let drawn = Set(view.bars.map { "\($0.bucket_ms),\($0.stream),\($0.name),\($0.series),\($0.count)" })
        let expected = Set(
            (reported[.sqlite] ?? []).map { line -> String in
                let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                let what =
                    f[4] == "line_cross"
                    ? f[5].replacingOccurrences(of: "_", with: " ") : f[4].replacingOccurrences(of: "zone_", with: "")
                return "\(f[0]),\(f[1]),\(f[3]),\(what) · \(f[6]),\(f[7])"
            })
        print(
            "archive sample: History view drew \(view.charts) charts, \(view.bars.count) bars in \(view.seconds) s; status '\(view.status)'"
        )
        #expect(view.visible)
        #expect(view.bars.allSatisfy { $0.height > 0 && $0.tooltip.hasSuffix(": \($0.count)") })
        #expect(
            drawn == expected,
            "bars not in the report: \(drawn.subtracting(expected).prefix(5)); report rows not drawn: \(expected.subtracting(drawn).prefix(5))"
        )
    }

    struct HistoryView: Decodable {
        struct Bar: Decodable {
            var stream: String
            var name: String
            var bucket_ms: Int64
            var series: String
            var count: Int64
            var height: Double
            var tooltip: String
        }
        var visible: Bool
        var status: String
        var charts: Int
        var bars: [Bar]
        var seconds: Double
    }
}

/// ISO 8601 instants as `report --csv` prints them.
enum CaptureTimeParser {
    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
