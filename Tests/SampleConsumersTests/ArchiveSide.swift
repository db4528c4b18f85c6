import Foundation
import TestSupport
import Testing

/// The archive side of the sample run: one archive process on a SQLite file and one on a PostgreSQL database, each
/// SIGKILLed during the run; afterwards the independent reader (scripts/archive-check.py), `report` against the docs'
/// SQL through the databases' own clients, and the History view in a real browser.
final class ArchiveSide {
    let bus: SampleBus
    private let sqlitePath: String
    private let postgresURL: String
    private let dashboardPort: Int
    private var configurations: [DatabaseKind: URL] = [:]
    private var ports: [DatabaseKind: Int] = [:]
    private var processes: [DatabaseKind: ChildProcess] = [:]
    private var starts: [DatabaseKind: Int] = [:]

    init(bus: SampleBus) throws {
        self.bus = bus
        sqlitePath = bus.directory.appendingPathComponent("archive.sqlite").path
        postgresURL = try PostgresServer().makeDatabase("sample")
        dashboardPort = try TestEnvironment.freePort()
        for kind in DatabaseKind.allCases {
            ports[kind] = try TestEnvironment.freePort()
            configurations[kind] = try bus.archiveConfiguration(
                archiveURL: kind == .sqlite ? "sqlite:\(sqlitePath)" : postgresURL, archivePort: ports[kind]!,
                dashboardPort: dashboardPort, label: "archive-\(kind.rawValue)")
        }
    }

    func start() throws {
        for kind in DatabaseKind.allCases { try start(kind) }
    }

    func start(_ kind: DatabaseKind) throws {
        starts[kind, default: 0] += 1
        processes[kind] = try ChildProcess(
            try TestEnvironment.executable("realtime-analytics"), ["archive", "--config", configurations[kind]!.path],
            directory: bus.directory, label: "archive-\(kind.rawValue)-\(starts[kind]!)")
    }

    func kill(_ kind: DatabaseKind) {
        let archive = processes[kind]!
        #expect(archive.isRunning, "the \(kind) archive stopped by itself: \(archive.stderr.suffix(1500))")
        _ = archive.stop(signal: SIGKILL)
    }

    /// Every key of every count equal to the topics', once each archive has caught up; then the report and the
    /// History view.
    func verify() throws {
        for kind in DatabaseKind.allCases {
            let verdict = try bus.archiveCheck(
                kind == .sqlite ? ["--sqlite", sqlitePath] : ["--postgres", postgresURL])
            print("sample consumers, archive (\(kind)): \(verdict.report)")
            #expect(verdict.equal, "\(kind): \(verdict.report)\n\(processes[kind]!.stderr.suffix(2000))")
        }
        for kind in DatabaseKind.allCases {
            let page = fetch("http://127.0.0.1:\(ports[kind]!)/metrics").body
            #expect(metric(page, "archive_lag_messages") == 0)
            #expect(metric(page, "archive_database_up") == 1)
            #expect(fetch("http://127.0.0.1:\(ports[kind]!)/readyz").status == 200)
            let stopped = processes[kind]!.stop(signal: SIGTERM, waitingAtMost: 15)
            #expect(stopped.status == 0, "SIGTERM: \(processes[kind]!.stderr.suffix(1500))")
            #expect(processes[kind]!.stderr.contains("stopped: every thread has ended"))
        }
        let reported = try compareReportWithDocumentedSQL()
        #expect(reported[.sqlite] == reported[.postgres], "the two archives hold different counts")
        try checkHistoryView(expecting: reported[.sqlite] ?? [])
    }

    /// `report --since 1h --by hour --csv` prints what the docs' SQL gives, on both databases.
    private func compareReportWithDocumentedSQL() throws -> [DatabaseKind: Set<String>] {
        let sinceMs = Int64(Date().timeIntervalSince1970 * 1000) - 3_600_000
        let sql = try documentedSQL("counts-per-hour")
        var reported: [DatabaseKind: Set<String>] = [:]
        for kind in DatabaseKind.allCases {
            let report = try ChildProcess.run(
                try TestEnvironment.executable("realtime-analytics"),
                ["report", "--config", configurations[kind]!.path, "--since", "1h", "--by", "hour", "--csv"],
                timeout: 30)
            try #require(report.status == 0, "\(report.stderr)")
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime]
            let rows = Set(
                report.stdout.split(separator: "\n").dropFirst().map { line -> String in
                    var fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                    fields[0] = String(Int64((formatter.date(from: fields[0])?.timeIntervalSince1970 ?? 0) * 1000))
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
                let file = bus.directory.appendingPathComponent("counts.sql")
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
            print(
                "sample consumers, archive (\(kind)): report --since 1h --by hour --csv = docs SQL, \(rows.count) rows")
        }
        return reported
    }

    /// The History view, in a real browser, draws the report's counts (SQLite's archive, read-only).
    private func checkHistoryView(expecting reported: Set<String>) throws {
        let dashboard = try ChildProcess(
            try TestEnvironment.executable("realtime-analytics-dashboard"),
            ["--config", configurations[.sqlite]!.path], directory: bus.directory, label: "dashboard")
        defer { _ = dashboard.stop() }
        #expect(KafkaBroker.waitForPort(dashboardPort, seconds: 20))
        let screenshot = bus.directory.appendingPathComponent("history.png").path
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
            reported.map { line -> String in
                let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                let what =
                    f[4] == "line_cross"
                    ? f[5].replacingOccurrences(of: "_", with: " ") : f[4].replacingOccurrences(of: "zone_", with: "")
                return "\(f[0]),\(f[1]),\(f[3]),\(what) · \(f[6]),\(f[7])"
            })
        print(
            "sample consumers, archive: History view drew \(view.charts) charts, \(view.bars.count) bars in \(view.seconds) s; status '\(view.status)'"
        )
        #expect(view.visible)
        #expect(view.bars.allSatisfy { $0.height > 0 && $0.tooltip.hasSuffix(": \($0.count)") })
        #expect(
            drawn == expected,
            "bars not in the report: \(drawn.subtracting(expected).prefix(5)); report rows not drawn: \(expected.subtracting(drawn).prefix(5))"
        )
    }

    func stopAll() {
        for process in processes.values { _ = process.stop() }
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
