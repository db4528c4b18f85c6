import Foundation
import Hummingbird
import Logging
import Prometheus

/// The pipeline's own Prometheus endpoint: `GET /metrics` (text exposition format) and `GET /healthz`, nothing else.
public enum MetricsEndpoint {
    public static func makeApplication(
        registry: PrometheusCollectorRegistry, host: String, port: Int, logger: Logger
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get("/metrics") { _, _ in response(registry) }
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

    /// The registry in Prometheus' text exposition format (also the dashboard's /metrics).
    static func response(_ registry: PrometheusCollectorRegistry?) -> Response {
        var bytes: [UInt8] = []
        registry?.emit(into: &bytes)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
