import AnalyticsCore
import Archive
import ArchiveStore
import Foundation
import Kafka
import Logging
import TestSupport
import Testing

/// The archive's writer against real databases (a SQLite file, a PostgreSQL server): exactly once, whatever the
/// batches and whatever Kafka delivers again.
@Suite("Archive writer", .serialized, .timeLimit(.minutes(3)))
struct ArchiveWriterTests {
    static let logger = Logger(label: "archive-test")

    static func writer(_ location: ArchiveLocation, observations: Bool = true) -> ArchiveWriter {
        var configuration = ArchiveConfiguration()
        configuration.observations = observations
        configuration.trackEndSeconds = 10
        return ArchiveWriter(
            location: location, configuration: configuration, framesTopic: SampleMessages.framesTopic,
            eventsTopic: SampleMessages.eventsTopic, logger: logger)
    }

    @Test(
        "one batch, or many with repeats and overlaps (Kafka delivering again after a crash or a rebalance): the same rows, no duplicate",
        arguments: DatabaseKind.allCases)
    func exactlyOnce(_ kind: DatabaseKind) async throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("archive-writer")
        defer { try? FileManager.default.removeItem(at: directory) }
        let messages = SampleMessages.make(frames: 600, malformedAt: [17, 301])
        let whole = try makeArchive(kind, in: directory, label: "whole")
        let pieces = try makeArchive(kind, in: directory, label: "pieces")

        let single = Self.writer(whole)
        try await single.open(nowMs: 0)
        let summary = try await single.write(messages, nowMs: 0)
        #expect(summary.frames == 598 && summary.malformed == 2 && summary.events == 120)
        #expect(summary.alreadyStored == 0)

        // The same messages in random pieces; every piece is written, then a random earlier stretch again.
        var random = SeededRandomGenerator(seed: 25)
        let split = Self.writer(pieces)
        try await split.open(nowMs: 0)
        var start = 0
        var repeated = 0
        while start < messages.count {
            let end = min(messages.count, start + Int.random(in: 1...90, using: &random))
            _ = try await split.write(Array(messages[start..<end]), nowMs: 0)
            let back = max(0, start - Int.random(in: 0...60, using: &random))
            let again = try await split.write(Array(messages[back..<end]), nowMs: 0)
            #expect(again.frames + again.events + again.malformed == 0, "a repeat was applied again")
            repeated += again.alreadyStored
            start = end
        }
        print("archive writer (\(kind)): \(messages.count) messages, \(repeated) delivered again and passed over")
        let expected = try dump(whole)
        let got = try dump(pieces)
        for table in expected.keys.sorted() {
            #expect(got[table] == expected[table], "\(table) differs")
        }
        #expect(expected["tracks"]?.isEmpty == false)
        #expect(expected["events"]?.count == 120)
        // Two or three boxes per frame (300 of each), less the two malformed frames' three.
        #expect(expected["observations"]?.count == 1500 - 6)
        // Offsets: the next one to read, per partition, malformed messages included.
        #expect(expected["archive_offsets"]?.contains("frames|0|400") == true)
        #expect(expected["archive_offsets"]?.contains("frames|1|200") == true)
    }

    @Test("tracks: looks, first and last seen, and ended when their stream goes on without them or starts a new run")
    func trackRows() async throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("archive-tracks")
        defer { try? FileManager.default.removeItem(at: directory) }
        let location = try makeArchive(.sqlite, in: directory, label: "tracks")
        let writer = Self.writer(location)
        try await writer.open(nowMs: 0)
        _ = try await writer.write(SampleMessages.make(frames: 600), nowMs: 0)
        let connection = try location.connect(readOnly: true)
        // cam-0, track 1 (person): frames 0, 3, …, 27 (index / 30 == 0), 400 ms apart.
        let row = try connection.query(
            "SELECT looks, first_seen_ms, last_seen_ms, class_name, ended FROM tracks WHERE stream = 'cam-0' AND track_id = 1",
            [])
        #expect(row.first?[0].int64 == 10)
        #expect(row.first?[2].int64 == (row.first?[1].int64 ?? 0) + 27 * 400)
        #expect(row.first?[3].string == "person")
        #expect(row.first?[4].int64 == 1, "seen last long before its stream's end")
        let open = try connection.query(
            "SELECT COUNT(*) FROM tracks WHERE ended = 0 AND stream = 'cam-0'", [])
        #expect(open.first?.first?.int64 == 2, "the last two tracks of cam-0 are still open")
        // cam-2 started a new run halfway: every track of the old run is ended.
        let oldRun = try connection.query(
            "SELECT COUNT(*), SUM(ended) FROM tracks WHERE stream = 'cam-2' AND run_id LIKE '%aaaaaaaa'", [])
        #expect(oldRun.first?[0].int64 == oldRun.first?[1].int64)
        // Untracked detections (track id -1) are no objects.
        #expect(try connection.query("SELECT COUNT(*) FROM tracks WHERE track_id < 0", []).first?.first?.int64 == 0)
    }

    @Test(
        "an archive written by a newer build is refused with one line that says what to do",
        arguments: DatabaseKind.allCases)
    func newerSchema(_ kind: DatabaseKind) async throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("archive-newer")
        defer { try? FileManager.default.removeItem(at: directory) }
        let location = try makeArchive(kind, in: directory, label: "newer")
        let writer = Self.writer(location)
        try await writer.open(nowMs: 0)
        let connection = try location.connect()
        try connection.execute("INSERT INTO archive_schema (version, applied_ms) VALUES (99, 0)", [])
        let again = Self.writer(location)
        do {
            try await again.open(nowMs: 0)
            Issue.record("a schema of version 99 was accepted")
        } catch {
            #expect(error.kind == .schemaTooNew)
            #expect(error.message.contains("schema version 99, newer than this build's 1"))
            #expect(error.message.contains("archive.url"))
            #expect(!error.message.contains("\n"))
            print("fault: newer schema (\(kind)): \(error.message)")
        }
    }

    @Test("retention deletes each kind of row past its days, and nothing newer")
    func retention() async throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("archive-retention")
        defer { try? FileManager.default.removeItem(at: directory) }
        let location = try makeArchive(.sqlite, in: directory, label: "retention")
        var configuration = ArchiveConfiguration()
        configuration.observations = true
        configuration.retentionDays.observations = 1
        configuration.retentionDays.events = 2
        let writer = ArchiveWriter(
            location: location, configuration: configuration, framesTopic: SampleMessages.framesTopic,
            eventsTopic: SampleMessages.eventsTopic, logger: Self.logger)
        try await writer.open(nowMs: 0)
        let start: Int64 = 1_765_000_000_000
        _ = try await writer.write(SampleMessages.make(frames: 300, startMs: start), nowMs: 0)
        let before = try dump(location)
        // A day and a half later: observations (1 day) go, events (2 days) and the rest stay.
        let deleted = try await writer.enforceRetention(nowMs: start + 36 * 3_600_000)
        #expect(deleted["observations"] == before["observations"]?.count)
        #expect(deleted["events"] == 0 && deleted["tracks"] == 0 && deleted["event_minutes"] == 0)
        // Three days later: events go too; minutes (730 days) stay.
        let later = try await writer.enforceRetention(nowMs: start + 72 * 3_600_000)
        #expect(later["events"] == before["events"]?.count)
        #expect(later["event_minutes"] == 0)
        #expect(try dump(location)["event_minutes"] == before["event_minutes"])
    }

    @Test("one statement text for both databases: $N placeholders become SQLite's ?N")
    func placeholders() {
        #expect(SQLiteConnection.sqliteText("SELECT $1, $12 WHERE a = $2") == "SELECT ?1, ?12 WHERE a = ?2")
        #expect(SQLiteConnection.sqliteText("SELECT '$' || x") == "SELECT '$' || x")
    }

    @Test("archive.url: sqlite paths relative to the file, PostgreSQL URLs as given, passwords kept out of messages")
    func locations() throws {
        let document = try ConfigurationDocument.parse(
            yaml: "archive: {url: \"sqlite:../var/a.sqlite\"}\n", file: "x.yaml", baseDirectory: "/etc/ra/conf")
        let configuration = try ConsumerConfiguration.read(document)
        #expect(configuration.archive.url == "sqlite:/etc/ra/var/a.sqlite")
        #expect(
            ArchiveLocation(url: configuration.archive.url ?? "", baseDirectory: "/")
                == .sqlite(path: "/etc/ra/var/a.sqlite"))
        let postgres = ArchiveLocation(url: "postgres://bi:secret@db:5432/site", baseDirectory: "/")
        #expect(postgres?.description == "postgres://bi:***@db:5432/site")
    }
}

/// A writer whose database could not be opened answers its next calls (a failed call must not leave the actor's
/// thread stuck; the archive retries `open` until the database is there).
@Suite("Archive writer after a failure", .timeLimit(.minutes(1)))
struct ArchiveWriterFailureTests {
    @Test("open fails (the file's folder cannot be made), then the writer still answers, and opens once it can")
    func answersAfterAFailedOpen() async throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("archive-failed-open")
        defer { try? FileManager.default.removeItem(at: directory) }
        let blocker = directory.appendingPathComponent("blocker")
        try Data("a file where a folder should be".utf8).write(to: blocker)
        let path = blocker.appendingPathComponent("archive.sqlite").path
        let writer = ArchiveWriterTests.writer(.sqlite(path: path))
        for _ in 0..<3 {
            do {
                try await writer.open(nowMs: 0)
                Issue.record("opened a database under a file")
            } catch {
                #expect(error.kind == .unreachable)
            }
        }
        try FileManager.default.removeItem(at: blocker)
        try await writer.open(nowMs: 0)
        let summary = try await writer.write(SampleMessages.make(frames: 30), nowMs: 0)
        #expect(summary.frames == 30)
    }
}
