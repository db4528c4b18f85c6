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
            try ConsumerProcess.check(port: port)
            options.bootstrapLogging()
            signal(SIGPIPE, SIG_IGN)
            let registry = ConsumerProcess.bootstrapMetrics(durationBuckets: [
                "alerts_delivery_latency_seconds": [
                    50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, 30000,
                ]
                .map { Duration.milliseconds($0) }
            ])
            let logger = Logger(label: "realtime-analytics-alerts")
            let alerts = AlertsService(configuration: configuration, clock: ContinuousClock(), logger: logger)
            let status = alerts.status
            try await ConsumerProcess.run(
                alerts, section: "alerts", host: configuration.alerts.host, port: port ?? configuration.alerts.port,
                registry: registry, readiness: { status.readiness() },
                grace: .seconds(configuration.alerts.shutdownGraceSeconds), logger: logger,
                stopReason: { ($0 as? AlertsStopped)?.message })
        }
    }
}
