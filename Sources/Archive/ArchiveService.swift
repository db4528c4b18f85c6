import AnalyticsCore
import ArchiveStore
import Foundation
import Kafka
import Logging
import RuntimeSupport
import ServiceLifecycle

/// `realtime-analytics archive`: reads every partition of the frames and events topics and writes them into the
/// archive database, batch by batch, each batch and its offsets in one transaction. Starts each partition at the
/// offset the database stored, so a crash at any moment neither loses nor repeats a message. It assigns the
/// partitions itself instead of joining a consumer group (as Flink's Kafka source does): the database, not a group
/// coordinator, decides where reading goes on, and a restart reads at once instead of waiting for the broker to expire
/// the killed member. Its lag is in its own metrics.
public struct ArchiveService<C: Clock>: Service where C.Duration == Duration {
    public let status: ArchiveStatus
    private let kafka: KafkaConfiguration
    private let archive: ArchiveConfiguration
    private let location: ArchiveLocation
    private let writer: ArchiveWriter
    private let clock: C
    private let wallClockMs: @Sendable () -> Int64
    private let logger: Logger
    private let retryLog = LogThrottle(every: 30)

    /// How often retention runs (also once at start).
    static var retentionInterval: Duration { .seconds(3600) }

    public init(
        kafka: KafkaConfiguration, archive: ArchiveConfiguration, location: ArchiveLocation, clock: C,
        wallClockMs: @escaping @Sendable () -> Int64 = MonotonicClock.wallMilliseconds, logger: Logger
    ) {
        self.kafka = kafka
        self.archive = archive
        self.location = location
        self.clock = clock
        self.wallClockMs = wallClockMs
        self.logger = logger
        status = ArchiveStatus(location: location.description)
        writer = ArchiveWriter(
            location: location, configuration: archive, framesTopic: kafka.topic, eventsTopic: kafka.eventsTopic,
            logger: logger)
    }

    public func run() async throws {
        guard try await openDatabase() else { return }
        await enforceRetention()
        let consumer = try makeConsumer()
        status.attach(consumer)
        logger.info(
            "archive: \(kafka.topic) and \(kafka.eventsTopic) on \(kafka.bootstrapServers) into \(location)"
        )
        do {
            try await withTaskCancellationOrGracefulShutdownHandler {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { await reportStatus() }
                    try await consume(consumer)
                    group.cancelAll()
                }
            } onCancelOrGracefulShutdown: {
                // Also on cancellation (another service of the group failed, e.g. the metrics port is taken): the
                // consumer's message sequence does not end by itself.
                consumer.finishReading()
            }
        } catch {
            await close(consumer)
            throw error
        }
        await close(consumer)
        await writer.close()
    }

    /// Connects and migrates, retrying while the database cannot be reached; false when shut down meanwhile. A schema
    /// from a newer build stops the process.
    private func openDatabase() async throws -> Bool {
        var backoff = Duration.milliseconds(500)
        while true {
            do {
                let applied = try await writer.open(nowMs: wallClockMs())
                if !applied.isEmpty {
                    logger.info(
                        "archive: \(location) brought to schema version \(ArchiveSchema.currentVersion) (applied \(applied.map(String.init).joined(separator: ", ")))"
                    )
                }
                status.opened()
                return true
            } catch {
                guard error.kind != .schemaTooNew else { throw ArchiveStopped(message: error.message) }
                status.failed(DatabaseErrorSummary(kind: error.kind.rawValue, message: error.message))
                retryLog.record(logger, .error, "archive: \(error.message)")
                guard await pause(backoff) else { return false }
                backoff = min(backoff * 2, .seconds(30))
            }
        }
    }

    private func makeConsumer() throws -> KafkaConsumer {
        // The group is never joined: the database holds the offsets.
        let properties = KafkaConsumer.properties(
            bootstrapServers: kafka.bootstrapServers, groupID: "realtime-analytics-archive",
            startAtNewest: !archive.startAtOldest,
            overrides: [("client.id", "realtime-analytics-archive")] + kafka.properties)
        let location = self.location
        let logger = self.logger
        return try KafkaConsumer(
            properties: properties, topics: [kafka.topic, kafka.eventsTopic], start: .everyPartition,
            bufferCapacity: archive.batchMaxMessages,
            resumeOffsets: { _ in ArchiveOffsets.read(location, logger: logger) }, logger: logger)
    }

    /// Batches what the consumer hands over (everything buffered, up to `batch_max_messages`) and writes each batch;
    /// at live rates a batch waits up to `batch_max_ms` to fill, so a transaction holds more than one message.
    private func consume(_ consumer: KafkaConsumer) async throws {
        var iterator = consumer.messages.makeAsyncIterator()
        var nextRetention = clock.now.advanced(by: Self.retentionInterval)
        let linger = Duration.milliseconds(archive.batchMaxMilliseconds)
        while let first = try await iterator.next() {
            let started = clock.now
            var batch = [first]
            while batch.count < archive.batchMaxMessages, let more = consumer.nextBuffered() { batch.append(more) }
            guard let summary = try await write(batch) else { return }
            logger.debug("archive: wrote \(batch.count) messages")
            status.wrote(summary, messages: batch.count, seconds: Self.seconds(started.duration(to: clock.now)))
            if clock.now >= nextRetention {
                await enforceRetention()
                nextRetention = clock.now.advanced(by: Self.retentionInterval)
            }
            if batch.count < archive.batchMaxMessages, !Task.isShuttingDownGracefully {
                try? await clock.sleep(until: started.advanced(by: linger), tolerance: nil)
            }
        }
    }

    /// Writes one batch, retrying until it is written (nothing of it is committed before); nil when the process is
    /// shut down meanwhile (the batch is read again at the next start).
    private func write(_ batch: [KafkaMessage]) async throws -> ArchiveWriteSummary? {
        var backoff = Duration.milliseconds(500)
        while true {
            do {
                try await writer.open(nowMs: wallClockMs())
                return try await writer.write(batch, nowMs: wallClockMs())
            } catch {
                guard error.kind != .schemaTooNew else { throw ArchiveStopped(message: error.message) }
                status.failed(DatabaseErrorSummary(kind: error.kind.rawValue, message: error.message))
                retryLog.record(
                    logger, .error,
                    "archive: \(error.message) (\(batch.count) messages wait; nothing is committed until they are written)"
                )
                guard await pause(backoff) else { return nil }
                backoff = min(backoff * 2, .seconds(30))
            }
        }
    }

    private func enforceRetention() async {
        do {
            let deleted = try await writer.enforceRetention(nowMs: wallClockMs())
            status.deleted(deleted)
            let total = deleted.values.reduce(0, +)
            if total > 0 {
                logger.info(
                    "archive: retention deleted \(total) rows (\(deleted.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))"
                )
            }
        } catch {
            status.failed(DatabaseErrorSummary(kind: error.kind.rawValue, message: error.message))
            logger.error("archive: retention failed: \(error.message); trying again in an hour")
        }
    }

    private func reportStatus() async {
        let interval = Duration.milliseconds(Int64(archive.statusIntervalSeconds * 1000))
        while !Task.isCancelled {
            do { try await clock.sleep(for: interval) } catch { return }
            FileHandle.standardError.write(
                Data((status.statusLine(intervalSeconds: archive.statusIntervalSeconds) + "\n").utf8))
        }
    }

    /// Waits `duration`; false when the process is shutting down (then it returns at once).
    private func pause(_ duration: Duration) async -> Bool {
        let deadline = clock.now.advanced(by: duration)
        while clock.now < deadline {
            if Task.isShuttingDownGracefully || Task.isCancelled { return false }
            try? await clock.sleep(for: min(.milliseconds(200), clock.now.duration(to: deadline)))
        }
        return !(Task.isShuttingDownGracefully || Task.isCancelled)
    }

    /// Closes the consumer (blocking for a moment) on a thread of its own.
    private func close(_ consumer: KafkaConsumer) async {
        await runOnDedicatedThread(named: "archive consumer close") { consumer.close() }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// A reason the archive cannot go on (one line; the command exits 1 with it).
public struct ArchiveStopped: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// The stored offsets, read for newly found partitions on the consumer's poll thread through a connection of its own
/// (that happens at start and when a topic or partition appears; the writer's connection stays on its thread).
enum ArchiveOffsets {
    static func read(_ location: ArchiveLocation, logger: Logger) -> [TopicPartition: Int64]? {
        do {
            let connection = try location.connect()
            let rows = try connection.query("SELECT topic, kafka_partition, next_offset FROM archive_offsets", [])
            var offsets: [TopicPartition: Int64] = [:]
            for row in rows {
                guard let topic = row[0].string, let partition = row[1].int64, let offset = row[2].int64 else {
                    continue
                }
                offsets[TopicPartition(topic: topic, partition: Int32(partition))] = offset
            }
            return offsets
        } catch {
            logger.error("archive: cannot read the stored offsets: \(error.message)")
            return nil
        }
    }
}
