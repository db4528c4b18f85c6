import AnalyticsCore
import ArchiveStore
import Kafka
import Logging
import Messages
import RuntimeSupport

/// What one write did, for the status line and the metrics.
public struct ArchiveWriteSummary: Sendable {
    public var frames = 0
    public var events = 0
    public var malformed = 0
    /// Messages already in the archive (delivered again after a restart or a rebalance): passed over.
    public var alreadyStored = 0
    /// Offsets the topic no longer had when they were due (deleted by the topic's retention first).
    public var missingOffsets: Int64 = 0
    /// Rows written per table.
    public var rows: [String: Int] = [:]
    /// The offsets the batch stored.
    public var nextOffsets: [PartitionKey: Int64] = [:]
}

/// The archive's database writer: one connection, used only by a serial queue of its own (SQLite and libpq block),
/// so its calls never hold the cooperative pool. Each `write` is one transaction holding the batch's rows and the
/// offsets after them (exactly once: a crash leaves either both or neither), and reads the stored offsets first, so a
/// message the database already holds is never applied twice, whatever Kafka delivers again.
public final class ArchiveWriter: Sendable {
    public let location: ArchiveLocation
    private let configuration: ArchiveConfiguration
    private let framesTopic: String
    private let eventsTopic: String
    private let logger: Logger
    private let malformedLog = LogThrottle(every: 10)
    private let gapLog = LogThrottle(every: 60)
    private let worker = DatabaseWorker(label: "archive database")

    public init(
        location: ArchiveLocation, configuration: ArchiveConfiguration, framesTopic: String, eventsTopic: String,
        logger: Logger
    ) {
        self.location = location
        self.configuration = configuration
        self.framesTopic = framesTopic
        self.eventsTopic = eventsTopic
        self.logger = logger
    }

    /// Connects (again, after a loss) and brings the schema up to date; returns the migrations applied.
    @discardableResult
    public func open(nowMs: Int64) async throws(DatabaseError) -> [Int] {
        let location = self.location
        return try await worker.run { slot throws(DatabaseError) in
            if let connection = slot, connection.isUsable { return [] }
            slot = nil
            let made = try location.connect()
            let applied = try ArchiveSchema.migrate(made, nowMs: nowMs, name: location.description)
            slot = made
            return applied
        }
    }

    /// Drops the connection (the next call opens a new one).
    public func close() async {
        _ = try? await worker.run { slot throws(DatabaseError) in slot = nil }
    }

    /// Runs `body` with the open connection; a lost connection is dropped so that the next `open` makes a new one.
    private func guarded<T: Sendable>(
        _ body: @escaping @Sendable (any SQLConnection) throws(DatabaseError) -> T
    ) async throws(DatabaseError) -> T {
        let location = self.location
        return try await worker.run { slot throws(DatabaseError) in
            guard let connection = slot, connection.isUsable else {
                slot = nil
                throw DatabaseError(.unreachable, "no connection to the archive \(location)")
            }
            do throws(DatabaseError) {
                return try body(connection)
            } catch {
                if error.kind == .unreachable || !connection.isUsable { slot = nil }
                throw error
            }
        }
    }

    /// Decodes `messages` and writes what they carry, with their offsets, in one transaction.
    public func write(_ messages: [KafkaMessage], nowMs: Int64) async throws(DatabaseError) -> ArchiveWriteSummary {
        // Decoded on the database's queue too: the batch's JSON is the heaviest part of a write.
        try await guarded { [self] connection throws(DatabaseError) in
            var summary = ArchiveWriteSummary()
            var decoded: [(PartitionKey, Int64, Decoded)] = []
            decoded.reserveCapacity(messages.count)
            for message in messages {
                let key = PartitionKey(topic: message.topic, partition: message.partition)
                decoded.append((key, message.offset, decode(message)))
            }
            return try connection.writeTransaction { () throws(DatabaseError) in
                let stored = try Self.lockOffsets(Set(decoded.map(\.0)), connection)
                var batch = ArchiveBatch(keepObservations: configuration.observations)
                var expected = stored
                for (partition, offset, item) in decoded {
                    if let next = expected[partition] {
                        if offset < next {
                            summary.alreadyStored += 1
                            continue
                        }
                        if offset > next { summary.missingOffsets += offset - next }
                    }
                    expected[partition] = offset + 1
                    switch item {
                    case .frame(let result):
                        batch.add(frame: result, at: partition, offset: offset)
                        summary.frames += 1
                    case .event(let event):
                        batch.add(event: event, at: partition, offset: offset)
                        summary.events += 1
                    case .malformed:
                        batch.passOver(partition, offset: offset)
                        summary.malformed += 1
                    }
                }
                if summary.missingOffsets > 0 {
                    gapLog.record(
                        logger, .warning,
                        "archive: \(summary.missingOffsets) offsets were gone from the topics when the archive read them (deleted by the topic's retention before the archive caught up); raise the topics' retention above the archive's longest outage"
                    )
                }
                guard !batch.isEmpty else { return summary }
                summary.rows = try ArchiveRows.write(
                    batch, trackEndMs: Int64(configuration.trackEndSeconds * 1000), connection)
                try ArchiveRows.storeOffsets(batch.nextOffsets, nowMs: nowMs, connection)
                summary.nextOffsets = batch.nextOffsets
                return summary
            }
        }
    }

    /// Deletes what is older than each kind's retention; returns the rows deleted per table.
    public func enforceRetention(nowMs: Int64) async throws(DatabaseError) -> [String: Int] {
        let days = configuration.retentionDays
        let cutoff = { (days: Int) in SQLValue.integer(nowMs - Int64(days) * 86_400_000) }
        let statements: [(String, String, SQLValue)] = [
            ("tracks", "DELETE FROM tracks WHERE last_seen_ms < $1", cutoff(days.tracks)),
            ("events", "DELETE FROM events WHERE timestamp_ms < $1", cutoff(days.events)),
            ("event_minutes", "DELETE FROM event_minutes WHERE minute_ms < $1", cutoff(days.minutes)),
            ("stream_minutes", "DELETE FROM stream_minutes WHERE minute_ms < $1", cutoff(days.minutes)),
            ("occupancy_minutes", "DELETE FROM occupancy_minutes WHERE minute_ms < $1", cutoff(days.minutes)),
            ("observations", "DELETE FROM observations WHERE timestamp_ms < $1", cutoff(days.observations)),
        ]
        return try await guarded { connection throws(DatabaseError) in
            var deleted: [String: Int] = [:]
            for (table, sql, value) in statements {
                deleted[table] = try connection.writeTransaction { () throws(DatabaseError) in
                    try connection.execute(sql, [value])
                }
            }
            return deleted
        }
    }

    enum Decoded {
        case frame(FrameResult)
        case event(ZoneEventMessage)
        case malformed
    }

    private func decode(_ message: KafkaMessage) -> Decoded {
        let place = "\(message.topic)/\(message.partition)@\(message.offset)"
        if message.topic == eventsTopic {
            if let event = ZoneEventMessage.decode(message.value) { return .event(event) }
            malformedLog.record(
                logger, .warning,
                "archive: skipped a malformed event message at \(place) (not a zone or line event); fix its producer")
            return .malformed
        }
        do {
            return .frame(try FrameMessageDecoder.decode(message.value).result)
        } catch {
            malformedLog.record(
                logger, .warning, "archive: skipped a malformed frame message at \(place) (\(error)); fix its producer")
            return .malformed
        }
    }

    /// The stored offsets of `partitions`, locked until the transaction ends (PostgreSQL; SQLite's write
    /// transaction already excludes other writers).
    private static func lockOffsets(
        _ partitions: Set<PartitionKey>, _ connection: any SQLConnection
    ) throws(DatabaseError) -> [PartitionKey: Int64] {
        var stored: [PartitionKey: Int64] = [:]
        let sql =
            "SELECT next_offset FROM archive_offsets WHERE topic = $1 AND kafka_partition = $2"
            + connection.dialect.forUpdate
        for partition in partitions {
            let rows = try connection.query(sql, [.text(partition.topic), .integer(Int64(partition.partition))])
            if let offset = rows.first?.first?.int64 { stored[partition] = offset }
        }
        return stored
    }
}
