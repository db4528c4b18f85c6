import Foundation
import Kafka
import Messages
import Metrics
import Synchronization

/// What the archive has done, shared by the writing loop, the status line, `/readyz` and `/metrics`.
public final class ArchiveStatus: Sendable {
    struct Totals {
        var frames = 0
        var events = 0
        var malformed = 0
        var alreadyStored = 0
        var batches = 0
        var rows = 0
        var writeSeconds = 0.0
        var databaseProblem: String?
        var databaseOpen = false
    }

    private let totals = Mutex(Totals())
    private let lastReported = Mutex(Totals())
    private let consumer = Mutex<KafkaConsumer?>(nil)
    let location: String

    private let messagesCounter: [String: Counter]
    private let rowsCounters = Mutex<[String: Counter]>([:])
    private let batchTimer = Timer(label: "archive_batch_duration_seconds")
    private let batchSize = Recorder(label: "archive_batch_messages")
    private let lagGauge = Gauge(label: "archive_lag_messages")
    private let databaseUp = Gauge(label: "archive_database_up")
    private let missingOffsets = Counter(label: "archive_missing_offsets_total")
    private let retentionDeleted = Mutex<[String: Counter]>([:])
    private let databaseErrors = Mutex<[String: Counter]>([:])

    init(location: String) {
        self.location = location
        var counters: [String: Counter] = [:]
        for result in ["frame", "event", "malformed", "already_stored"] {
            counters[result] = Counter(label: "archive_messages_total", dimensions: [("result", result)])
        }
        messagesCounter = counters
        databaseUp.record(0)
    }

    func attach(_ consumer: KafkaConsumer) { self.consumer.withLock { $0 = consumer } }

    func opened() {
        totals.withLock {
            $0.databaseOpen = true
            $0.databaseProblem = nil
        }
        databaseUp.record(1)
    }

    func failed(_ error: DatabaseErrorSummary) {
        totals.withLock { $0.databaseProblem = error.message }
        databaseUp.record(0)
        databaseErrors.withLock {
            let counter =
                $0[error.kind] ?? Counter(label: "archive_database_errors_total", dimensions: [("kind", error.kind)])
            $0[error.kind] = counter
            counter.increment()
        }
    }

    func wrote(_ summary: ArchiveWriteSummary, messages: Int, seconds: Double) {
        let rows = summary.rows.filter { $0.key != "tracks_ended" }.values.reduce(0, +)
        totals.withLock {
            $0.frames += summary.frames
            $0.events += summary.events
            $0.malformed += summary.malformed
            $0.alreadyStored += summary.alreadyStored
            $0.batches += 1
            $0.rows += rows
            $0.writeSeconds += seconds
            $0.databaseProblem = nil
        }
        databaseUp.record(1)
        messagesCounter["frame"]?.increment(by: summary.frames)
        messagesCounter["event"]?.increment(by: summary.events)
        messagesCounter["malformed"]?.increment(by: summary.malformed)
        messagesCounter["already_stored"]?.increment(by: summary.alreadyStored)
        if summary.missingOffsets > 0 { missingOffsets.increment(by: Int(summary.missingOffsets)) }
        batchTimer.recordNanoseconds(Int64(seconds * 1e9))
        batchSize.record(messages)
        rowsCounters.withLock { counters in
            for (table, count) in summary.rows where count > 0 {
                let counter = counters[table] ?? Counter(label: "archive_rows_total", dimensions: [("table", table)])
                counters[table] = counter
                counter.increment(by: count)
            }
        }
    }

    func deleted(_ rows: [String: Int]) {
        retentionDeleted.withLock { counters in
            for (table, count) in rows where count > 0 {
                let counter =
                    counters[table]
                    ?? Counter(label: "archive_retention_deleted_rows_total", dimensions: [("table", table)])
                counters[table] = counter
                counter.increment(by: count)
            }
        }
    }

    /// Messages behind the end of the assigned partitions (nil before the first check), also recorded as a gauge.
    func sampleLag() -> Int? {
        let lag = consumer.withLock { $0?.lag }
        if let lag { lagGauge.record(lag) }
        return lag
    }

    /// `archive: 1520 messages in 5.0 s (304/s: 1400 frames, 120 events, 0 malformed), lag 0, 3 batches of 14 ms,
    /// 2100 rows, sqlite:/…/archive.sqlite`
    func statusLine(intervalSeconds: Double) -> String {
        let now = totals.withLock { $0 }
        let before = lastReported.withLock {
            let previous = $0
            $0 = now
            return previous
        }
        let messages = (now.frames + now.events + now.malformed) - (before.frames + before.events + before.malformed)
        let batches = now.batches - before.batches
        let perBatchMs = batches > 0 ? (now.writeSeconds - before.writeSeconds) / Double(batches) * 1000 : 0
        let lag = sampleLag().map(String.init) ?? "unknown"
        var line =
            "archive: \(messages) messages in \(String(format: "%.1f", intervalSeconds)) s (\(Int((Double(messages) / intervalSeconds).rounded()))/s: \(now.frames - before.frames) frames, \(now.events - before.events) events, \(now.malformed - before.malformed) malformed), lag \(lag), \(batches) batches of \(Int(perBatchMs.rounded())) ms, \(now.rows - before.rows) rows, \(location)"
        if let problem = now.databaseProblem { line += "; database: \(problem)" }
        return line
    }

    /// `/readyz`: the database is open and writable, a broker answers and partitions are assigned.
    public func readiness() -> ReadinessReport {
        var problems: [String] = []
        let now = totals.withLock { $0 }
        if let problem = now.databaseProblem {
            problems.append("database: \(problem)")
        } else if !now.databaseOpen {
            problems.append("database: \(location) is being opened")
        }
        if let consumer = consumer.withLock({ $0 }) {
            if let problem = consumer.brokerStatus.problem { problems.append("kafka: \(problem)") }
            if (consumer.assignedPartitions ?? 0) == 0 {
                problems.append("kafka: no partition of the topics found yet (they appear with the first message)")
            }
        } else if now.databaseOpen {
            problems.append("kafka: the consumer is starting")
        }
        return ReadinessReport(problems: problems, streams: [])
    }
}

/// A database error as the status keeps it (the kind names the metric's label).
struct DatabaseErrorSummary {
    var kind: String
    var message: String
}
