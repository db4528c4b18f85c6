import Alerts
import AnalyticsCore
import ArgumentParser
import CommandLineSupport
import Dashboard
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

extension RealtimeAnalytics {
    /// The alerts consumer: rules over the frames topic, delivered by webhook, MQTT and the alerts topic
    /// (docs/alerts.md).
    struct AlertsCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "alerts",
            abstract: "Evaluate alerts.rules over the frames topic and deliver each notification once per id.",
            discussion: """
                Reads kafka.topic, evaluates every rule of alerts.rules (occupancy, dwell, crossings, presence, \
                stream_down), and sends each firing and resolved notification to alerts.topic and to the rule's \
                deliveries (webhook with HMAC signature and Idempotency-Key, MQTT), retrying, then dead-lettering on \
                alerts.dead_letter_topic. Checkpoints to alerts.state_path; a restart resumes there with no \
                notification lost. Serves /metrics, /healthz and /readyz on alerts.host:alerts.port. Stops cleanly \
                on SIGINT/SIGTERM.
                """)

        @OptionGroup var options: CommonOptions

        @Option(help: "TCP port of /metrics, /healthz and /readyz (overrides alerts.port).")
        var port: Int?

        func run() async throws {
            let configuration: ConsumerConfiguration
            do {
                configuration = try ConsumerConfiguration.load(path: options.config)
            } catch {
                ConfigurationExit.exit(error)
            }
            guard !configuration.alerts.rules.isEmpty else {
                FileHandle.standardError.write(
                    Data(
                        "configuration error: \(options.config): alerts.rules is empty; add a rule, e.g. `alerts: {rules: [{name: crowd, type: occupancy, zone: path, min_count: 5, for_s: 10}]}` (docs/alerts.md)\n"
                            .utf8))
                throw ExitCode(2)
            }
            if let port, !(1...65535).contains(port) {
                FileHandle.standardError.write(Data("error: --port \(port) is not a TCP port; use 1-65535\n".utf8))
                throw ExitCode(2)
            }
            options.bootstrapLogging()
            signal(SIGPIPE, SIG_IGN)
            let registry = PrometheusCollectorRegistry()
            var factory = PrometheusMetricsFactory(registry: registry)
            factory.durationHistogramBuckets["alerts_delivery_latency_seconds"] =
                [50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, 30000].map {
                    Duration.milliseconds($0)
                }
            MetricsSystem.bootstrap(factory)
            let logger = Logger(label: "realtime-analytics-alerts")
            let alerts = AlertsService(configuration: configuration, clock: ContinuousClock(), logger: logger)
            let status = alerts.status
            let servingPort = port ?? configuration.alerts.port
            let endpoint = MetricsEndpoint.makeApplication(
                registry: registry, host: configuration.alerts.host, port: servingPort,
                readiness: { status.readiness() }, logger: logger)
            logger.info("alerts: metrics at http://\(configuration.alerts.host):\(servingPort)/metrics")
            let group = ServiceGroup(
                configuration: .init(
                    services: [
                        .init(service: alerts, successTerminationBehavior: .gracefullyShutdownGroup),
                        .init(service: endpoint),
                    ],
                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            do {
                try await group.run()
            } catch let stopped as AlertsStopped {
                FileHandle.standardError.write(Data("error: \(stopped.message)\n".utf8))
                throw ExitCode(1)
            } catch  where "\(error)".contains("Address already in use") {
                FileHandle.standardError.write(
                    Data(
                        "error: cannot serve /metrics on \(configuration.alerts.host):\(servingPort): the port is in use; stop the other process or choose another alerts.port (or --port)\n"
                            .utf8))
                throw ExitCode(1)
            }
        }
    }
}
