import AnalyticsCore
import Archive
import ArchiveStore
import ArgumentParser
import CommandLineSupport
import Dashboard
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

extension RealtimeAnalytics {
    /// The archive consumer: the bus into a database (docs/archive.md).
    struct ArchiveCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "archive",
            abstract: "Write every track, zone/line event and per-minute count from Kafka into a database.",
            discussion: """
                Reads kafka.topic and kafka.events_topic in the consumer group archive.group and writes to \
                archive.url (sqlite:PATH or postgres://…), each batch with its offsets in one transaction: a restart \
                resumes where the database stopped, with no duplicate and no gap. Serves /metrics, /healthz and \
                /readyz on archive.host:archive.port. Stops cleanly on SIGINT/SIGTERM.
                """)

        @OptionGroup var options: CommonOptions

        @Option(help: "TCP port of /metrics, /healthz and /readyz (overrides archive.port).")
        var port: Int?

        func run() async throws {
            let (configuration, location) = try ArchiveConfigurationLoader.load(options.config)
            try ConsumerProcess.check(port: port)
            options.bootstrapLogging()
            signal(SIGPIPE, SIG_IGN)
            let registry = ConsumerProcess.bootstrapMetrics(
                durationBuckets: [
                    "archive_batch_duration_seconds": [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000].map {
                        Duration.milliseconds($0)
                    }
                ], valueBuckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000])
            let logger = Logger(label: "realtime-analytics-archive")
            let archive = ArchiveService(
                kafka: configuration.kafka, archive: configuration.archive, location: location,
                clock: ContinuousClock(), logger: logger)
            let status = archive.status
            try await ConsumerProcess.run(
                archive, section: "archive", host: configuration.archive.host,
                port: port ?? configuration.archive.port, registry: registry, readiness: { status.readiness() },
                grace: .seconds(configuration.archive.shutdownGraceSeconds), logger: logger,
                stopReason: { ($0 as? ArchiveStopped)?.message })
        }
    }
}

/// What `archive` and `report` both start with: the consumers' sections of the file (a bad file exits 2 with its
/// lines) and the archive it names (none: one line, exit 2).
enum ArchiveConfigurationLoader {
    static func load(_ path: String) throws -> (ConsumerConfiguration, ArchiveLocation) {
        let configuration: ConsumerConfiguration
        do {
            configuration = try ConsumerConfiguration.load(path: path)
        } catch {
            ConfigurationExit.exit(error)
        }
        // The url is checked and made absolute when the file is read; only its absence is left.
        guard let url = configuration.archive.url, let location = ArchiveLocation(url: url, baseDirectory: "/") else {
            FileHandle.standardError.write(
                Data(
                    "configuration error: \(path): archive.url is not set; add e.g. `archive: {url: sqlite:../var/archive.sqlite}` (or postgres://user@host/db)\n"
                        .utf8))
            throw ExitCode(2)
        }
        return (configuration, location)
    }
}
