import ArgumentParser
import CommandLineSupport
import Dashboard
import Foundation
import Logging
import Messages
import Metrics
import Prometheus
import ServiceLifecycle

/// What the `archive` and `alerts` processes share: their metrics registry, and one service run beside its
/// `/metrics`, `/healthz` and `/readyz` endpoint in one `ServiceGroup` until SIGTERM/SIGINT. A reason to stop that
/// the service gives and a metrics port that is taken each end as one line and exit 1.
enum ConsumerProcess {
    /// A `--port` outside 1-65535: one line, exit 2.
    static func check(port: Int?) throws {
        if let port, !(1...65535).contains(port) {
            FileHandle.standardError.write(Data("error: --port \(port) is not a TCP port; use 1-65535\n".utf8))
            throw ExitCode(2)
        }
    }

    /// The Prometheus registry behind `MetricsSystem`, with the given histograms' buckets.
    static func bootstrapMetrics(
        durationBuckets: [String: [Duration]], valueBuckets: [Double]? = nil
    ) -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        for (label, buckets) in durationBuckets { factory.durationHistogramBuckets[label] = buckets }
        if let valueBuckets { factory.defaultValueHistogramBuckets = valueBuckets }
        MetricsSystem.bootstrap(factory)
        return registry
    }

    /// Runs `service` with its endpoint on `host:port`. `section` names the configuration section (`archive`,
    /// `alerts`) in messages; `grace` (its `shutdown_grace_s`) bounds a graceful shutdown; `stopReason` turns the
    /// service's own reasons to stop into their one line.
    static func run(
        _ service: some Service, section: String, host: String, port: Int, registry: PrometheusCollectorRegistry,
        readiness: @escaping @Sendable () -> ReadinessReport, grace: Duration, logger: Logger,
        stopReason: (any Error) -> String?
    ) async throws {
        let endpoint = MetricsEndpoint.makeApplication(
            registry: registry, host: host, port: port, readiness: readiness, logger: logger)
        logger.info("\(section): metrics at http://\(host):\(port)/metrics")
        do {
            try await ProcessLifecycle.run(
                [
                    .init(
                        service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                        // A reason to stop shuts the endpoint down gracefully, so the reason's line is the last.
                        failureTerminationBehavior: .gracefullyShutdownGroup),
                    .init(service: endpoint),
                ], grace: grace, logger: logger)
        } catch {
            let line: String
            if let reason = stopReason(error) {
                line = reason
            } else if "\(error)".contains("Address already in use") {
                line =
                    "cannot serve /metrics on \(host):\(port): the port is in use; stop the other process or choose another \(section).port (or --port)"
            } else {
                throw error
            }
            FileHandle.standardError.write(Data("error: \(line)\n".utf8))
            throw ExitCode(1)
        }
    }
}
