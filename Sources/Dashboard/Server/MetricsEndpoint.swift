import Foundation
import Hummingbird
import Logging
import Messages
import Prometheus

/// The pipeline's own endpoint: `GET /metrics` (Prometheus text exposition format), `GET /healthz` (liveness: the
/// process answers) and `GET /readyz` (readiness: 200 or 503 with the reasons), nothing else.
public enum MetricsEndpoint {
    public static func makeApplication(
        registry: PrometheusCollectorRegistry, host: String, port: Int,
        readiness: @escaping @Sendable () -> ReadinessReport, logger: Logger
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get("/metrics") { _, _ in response(registry) }
        router.get("/readyz") { _, _ in response(readiness()) }
        router.get("/healthz") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "realtime-analytics"),
            logger: logger)
    }

    /// A readiness report as JSON: 200 when ready, 503 when not (also the dashboard's /readyz).
    static func response(_ report: ReadinessReport) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = (try? encoder.encode(report)) ?? Data(#"{"status":"not ready"}"#.utf8)
        return Response(
            status: report.isReady ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The registry in Prometheus' text exposition format (also the dashboard's /metrics).
    static func response(_ registry: PrometheusCollectorRegistry?) -> Response {
        var bytes: [UInt8] = []
        registry?.emit(into: &bytes)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
