import AnalyticsCore
import ArchiveStore
import Foundation
import Kafka
import Logging
import TestSupport
import Testing

/// What goes wrong around the archive: malformed messages, a database that is not there yet, a full disk, an archive
/// from a newer build, a configuration without an archive. Each: one clear line, counted, nothing lost.
@Suite("Archive faults", .serialized, .timeLimit(.minutes(6)))
struct ArchiveFaultTests {
    static let logger = Logger(label: "archive-fault-test")

    /// A test's topics on `kind`'s broker, a folder, and an archive configuration for `archiveURL`.
    struct Bed {
        let broker: String
        let owned: KafkaBroker?
        let framesTopic = KafkaBroker.uniqueTopic("archive-fault-frames")
        let eventsTopic = KafkaBroker.uniqueTopic("archive-fault-events")
        let directory: URL
        let port: Int

        init(_ kind: BrokerKind) throws {
            (broker, owned) = try KafkaBroker.addressForTest(kind)
            directory = try TestEnvironment.makeTemporaryDirectory("archive-fault")
            port = try TestEnvironment.freePort()
        }

        func configuration(_ archiveURL: String, extra: String = "") throws -> String {
            let file = directory.appendingPathComponent("archive-\(UUID().uuidString.prefix(6)).yaml")
            try """
            kafka: {bootstrap_servers: "\(broker)", topic: \(framesTopic), events_topic: \(eventsTopic)}
            archive:
              url: "\(archiveURL)"
              port: \(port)
              status_interval_s: 1
            \(extra)
            """.write(to: file, atomically: true, encoding: .utf8)
            return file.path
        }

        /// Produces `messages` (their topic names mapped to this bed's), keyed so each stream keeps one partition.
        func produce(_ messages: [KafkaMessage]) throws {
            let producer = try KafkaProducer(
                properties: KafkaProperties([("bootstrap.servers", broker), ("linger.ms", "5"), ("acks", "all")]),
                logger: ArchiveFaultTests.logger)
            for message in messages {
                let topic = message.topic == SampleMessages.eventsTopic ? eventsTopic : framesTopic
                let outcome = message.value.withUnsafeBytes {
                    producer.produce(topic: topic, key: "k\(message.partition)", value: $0)
                }
                guard case .queued = outcome else { throw KafkaError("not queued: \(outcome)") }
            }
            guard producer.flush(waitingAtMost: 30) else { throw KafkaError("the test messages were not delivered") }
            producer.close(waitingAtMost: 5)
        }

        func check(_ arguments: [String], waitSeconds: Int = 60) throws -> (equal: Bool, report: String) {
            try archiveCheck(
                broker: broker, framesTopic: framesTopic, eventsTopic: eventsTopic, arguments, waitSeconds: waitSeconds)
        }
    }

    @Test(
        "malformed messages among good ones: each passed over with a line naming its place, counted, the rest archived exactly",
        arguments: BrokerKind.allCases)
    func malformedMessages(_ kind: BrokerKind) throws {
        let bed = try Bed(kind)
        defer { try? FileManager.default.removeItem(at: bed.directory) }
        var messages = SampleMessages.make(frames: 600)
        let garbage = [
            "not json", #"{"stream": "cam-0"}"#, #"{"stream": 7, "frame_id": 1, "tracks": []}"#, "[1, 2, 3]",
            #"{"stream": "cam-1", "frame_id": 3, "tracks": [{"track_id": 1}]}"#,
        ]
        for index in 0..<40 {
            let value = Array(garbage[index % garbage.count].utf8)
            let topic = index % 4 == 0 ? SampleMessages.eventsTopic : SampleMessages.framesTopic
            messages.insert(
                KafkaMessage(topic: topic, partition: Int32(index % 2), offset: 0, value: value),
                at: (index * 17) % messages.count)
        }
        try bed.produce(messages)
        let path = bed.directory.appendingPathComponent("archive.sqlite").path
        let archive = try ChildProcess(
            try TestEnvironment.executable("realtime-analytics"),
            ["archive", "--config", try bed.configuration("sqlite:\(path)")], directory: bed.directory, label: "archive"
        )
        defer { _ = archive.stop() }
        let verdict = try bed.check(["--sqlite", path])
        #expect(verdict.equal, "\(verdict.report)\n\(archive.stderr.suffix(1500))")
        let page = fetch("http://127.0.0.1:\(bed.port)/metrics").body
        #expect(metric(page, "archive_messages_total{result=\"malformed\"}") == 40, "\(page)")
        let lines = archive.stderr.split(separator: "\n").filter { $0.contains("skipped a malformed") }
        #expect(!lines.isEmpty && lines.allSatisfy { $0.contains("@") && $0.contains("fix its producer") })
        print("fault: malformed messages (\(kind)): 40 passed over, \(lines.count) lines, e.g. \(lines.first ?? "")")
        #expect(archive.stop().status == 0)
    }

    @Test(
        "the PostgreSQL database not there at start: one line naming it, /readyz 503 with the reason, retries; once it exists, everything is written"
    )
    func databaseUnreachable() throws {
        let bed = try Bed(.noida)
        defer { try? FileManager.default.removeItem(at: bed.directory) }
        try bed.produce(SampleMessages.make(frames: 300))
        let server = try sharedPostgres.get().serverURL
        let name = "late_\(UUID().uuidString.prefix(8).lowercased())"
        let url = "\(server)/\(name)"
        let archive = try ChildProcess(
            try TestEnvironment.executable("realtime-analytics"), ["archive", "--config", try bed.configuration(url)],
            directory: bed.directory, label: "archive")
        defer { _ = archive.stop() }
        #expect(ChildProcess.waitUntil(atMost: 20) { archive.stderr.contains("cannot connect to PostgreSQL") })
        let ready = fetch("http://127.0.0.1:\(bed.port)/readyz")
        // (JSON writes the URL's slashes as \/)
        #expect(
            ready.status == 503 && ready.body.contains("database: cannot connect to PostgreSQL at postgres:")
                && ready.body.contains("\(name)\\\" does not exist"), "\(ready.body)")
        print("fault: database unreachable: /readyz \(ready.status) \(ready.body)")
        // The database appears: the archive connects by itself (backoff up to 30 s) and writes everything.
        _ = try PostgresServer.psql("\(server)/postgres", "CREATE DATABASE \(name)")
        let verdict = try bed.check(["--postgres", url], waitSeconds: 60)
        #expect(verdict.equal, "\(verdict.report)\n\(archive.stderr.suffix(1500))")
        #expect(fetch("http://127.0.0.1:\(bed.port)/readyz").status == 200)
        let page = fetch("http://127.0.0.1:\(bed.port)/metrics").body
        #expect(metric(page, "archive_database_errors_total{kind=\"unreachable\"}") >= 1)
        let lines = archive.stderr.split(separator: "\n").filter { $0.contains("cannot connect to PostgreSQL") }
        #expect(lines.count <= 3, "the retries are logged once per 30 s, not each time: \(lines.count) lines")
        #expect(archive.stop().status == 0)
    }

    /// Whether this machine lets the test mount a small tmpfs (root in most containers and CI runners).
    static let canMountTmpfs: Bool = {
        guard getuid() == 0, let folder = try? TestEnvironment.makeTemporaryDirectory("tmpfs-probe") else {
            return false
        }
        defer { try? FileManager.default.removeItem(at: folder) }
        guard
            (try? ChildProcess.run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", folder.path]))?.status == 0
        else { return false }
        _ = try? ChildProcess.run("/bin/umount", [folder.path])
        return true
    }()

    @Test(
        "a full disk (a 1 MiB tmpfs): the transaction is rolled back, nothing committed, one line and a counter; with room again, everything is written exactly once",
        .enabled(if: canMountTmpfs, "needs root to mount a tmpfs"))
    func diskFull() throws {
        let bed = try Bed(.noida)
        defer { try? FileManager.default.removeItem(at: bed.directory) }
        let disk = bed.directory.appendingPathComponent("disk")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        try #require(
            try ChildProcess.run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", disk.path]).status == 0)
        defer { _ = try? ChildProcess.run("/bin/umount", ["-l", disk.path]) }
        try bed.produce(SampleMessages.make(frames: 4000))
        let path = disk.appendingPathComponent("archive.sqlite").path
        let archive = try ChildProcess(
            try TestEnvironment.executable("realtime-analytics"),
            ["archive", "--config", try bed.configuration("sqlite:\(path)", extra: "  observations: true")],
            directory: bed.directory, label: "archive")
        defer { _ = archive.stop() }
        #expect(ChildProcess.waitUntil(atMost: 30) { archive.stderr.contains("is full") })
        let ready = fetch("http://127.0.0.1:\(bed.port)/readyz")
        #expect(ready.status == 503 && ready.body.contains("full"), "\(ready.body)")
        let full = archive.stderr.split(separator: "\n").first { $0.contains("is full") } ?? ""
        print("fault: disk full: \(full)")
        #expect(full.contains("free disk space"))
        // Room again: the same batches are written, and nothing is missing or doubled.
        try #require(try ChildProcess.run("/bin/mount", ["-o", "remount,size=64m", disk.path]).status == 0)
        let verdict = try bed.check(["--sqlite", path], waitSeconds: 60)
        #expect(verdict.equal, "\(verdict.report)\n\(archive.stderr.suffix(1500))")
        let page = fetch("http://127.0.0.1:\(bed.port)/metrics").body
        #expect(metric(page, "archive_database_errors_total{kind=\"full\"}") >= 1)
        #expect(archive.stop().status == 0)
    }

    @Test("an archive written by a newer build: the archive exits 1 with one line; report says the same")
    func newerSchemaProcess() throws {
        let bed = try Bed(.noida)
        defer { try? FileManager.default.removeItem(at: bed.directory) }
        let path = bed.directory.appendingPathComponent("archive.sqlite").path
        let location = ArchiveLocation.sqlite(path: path)
        let connection = try location.connect()
        try ArchiveSchema.migrate(connection, nowMs: 0, name: path)
        try connection.execute("INSERT INTO archive_schema (version, applied_ms) VALUES (7, 0)", [])
        let config = try bed.configuration("sqlite:\(path)")
        let binary = try TestEnvironment.executable("realtime-analytics")
        let archive = try ChildProcess.run(binary, ["archive", "--config", config], timeout: 30)
        #expect(archive.status == 1)
        let line = archive.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(
            line.hasPrefix("error: the archive") && line.contains("schema version 7, newer than this build's 1"),
            "\(archive.stderr)")
        let report = try ChildProcess.run(binary, ["report", "--config", config, "--since", "1d"], timeout: 30)
        #expect(report.status == 1 && report.stderr.contains("schema version 7"), "\(report.stderr)")
        print("fault: newer schema: \(line)")
    }

    @Test("no archive.url: archive and report exit 2 with one line saying what to add")
    func noArchiveURL() throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("archive-nourl")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("c.yaml")
        try "kafka: {bootstrap_servers: \"127.0.0.1:9\"}\n".write(to: file, atomically: true, encoding: .utf8)
        let binary = try TestEnvironment.executable("realtime-analytics")
        for arguments in [["archive"], ["report", "--since", "1h"]] {
            let run = try ChildProcess.run(binary, arguments + ["--config", file.path], timeout: 30)
            #expect(run.status == 2)
            #expect(run.stderr.split(separator: "\n").count == 1 && run.stderr.contains("archive.url"), "\(run.stderr)")
            print("fault: \(arguments[0]) without archive.url: \(run.stderr.trimmingCharacters(in: .newlines))")
        }
    }
}
