import AnalyticsCore
import ArchiveStore
import ArgumentParser
import CommandLineSupport
import Dashboard
import Foundation
import Kafka
import Logging
import Messages
import Metrics
import Prometheus
import ServiceLifecycle

@main
struct RealtimeAnalyticsDashboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "realtime-analytics-dashboard",
        abstract: "Web dashboard: consumes the analytics topic from Kafka and shows every stream live in the browser.",
        discussion: """
            Uses the config's kafka: section (bootstrap_servers, topic, properties) and dashboard: section (host, \
            port, access_token, group_id, start_at, stale_after_s, offline_after_s). Serves the page at /, \
            /api/streams, /healthz, /readyz, /metrics and the WebSocket at /ws. Stops cleanly on SIGINT/SIGTERM.
            """,
        version: "\(ProductVersion.description), librdkafka \(KafkaLibrary.version)"
    )

    @OptionGroup var options: CommonOptions

    @Option(name: .long, help: "TCP port to serve on (overrides dashboard.port).")
    var port: Int?

    func run() async throws {
        let configuration: ConsumerConfiguration
        do {
            configuration = try ConsumerConfiguration.load(path: options.config)
        } catch {
            let lines = error.all.map { "configuration error: \($0)\n" }.joined()
            FileHandle.standardError.write(Data(lines.utf8))
            throw ExitCode(2)
        }
        if let port, !(1...65535).contains(port) {
            FileHandle.standardError.write(Data("error: --port \(port) is not a TCP port; use 1-65535\n".utf8))
            throw ExitCode(2)
        }
        options.bootstrapLogging()
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "realtime-analytics-dashboard")

        let dashboard = configuration.dashboard
        let components = DashboardComponents(
            configuration: dashboard, streams: configuration.streams, logger: logger)
        let feed: KafkaBoardFeed
        do {
            feed = try KafkaBoardFeed(configuration: configuration, publisher: components.publisher, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("error: \(error); check the kafka section of \(options.config)\n".utf8))
            throw ExitCode(1)
        }
        let servingPort = port ?? dashboard.port
        let app = try DashboardServer.makeApplication(
            publisher: components.publisher, configuration: dashboard, port: servingPort, registry: registry,
            readiness: { feed.readiness() }, replay: ReplaySessions(configuration: configuration, logger: logger),
            history: configuration.archive.url.flatMap { ArchiveLocation(url: $0, baseDirectory: "/") }.map {
                ArchiveReader(location: $0)
            },
            logger: logger)
        let tokenHint = dashboard.accessToken == nil ? "" : "?token=…"
        logger.info(
            "dashboard: open http://\(dashboard.host):\(servingPort)/\(tokenHint) (Kafka \(configuration.kafka.bootstrapServers), topic \(configuration.kafka.topic))"
        )
        // The feed leaves its group within 3 s of a SIGTERM; the server closes its connections.
        try await ProcessLifecycle.run(
            [.init(service: feed), .init(service: app)],
            grace: .seconds(configuration.dashboard.shutdownGraceSeconds), logger: logger)
    }
}
