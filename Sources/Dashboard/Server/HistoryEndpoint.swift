import ArchiveStore
import Foundation
import Hummingbird
import Messages

/// `GET /api/history?since=24h&by=hour[&stream=ID][&until=TIME]`: counts over time from the archive (read-only),
/// for the History view. 404 when the configuration names no archive, 503 when the archive cannot be read.
enum HistoryEndpoint {
    struct Body: Encodable {
        var archive: String
        var by: String
        var from_ms: Int64
        var until_ms: Int64
        var streams: [String]
        var counts: [EventCount]
        var occupancy: [OccupancyLevel]
    }

    static func response(_ request: Request, reader: ArchiveReader?, nowMs: Int64) async throws -> Response {
        guard let reader else {
            throw HTTPError(
                .notFound,
                message:
                    "no archive: set archive.url in the dashboard's configuration and run `realtime-analytics archive`")
        }
        let parameters = request.uri.queryParameters
        guard let bucket = ReportBucket(rawValue: parameters["by"].map(String.init) ?? "hour") else {
            throw HTTPError(.badRequest, message: "by must be minute, hour or day")
        }
        guard let fromMs = CaptureTime.milliseconds(parameters["since"].map(String.init) ?? "24h", nowMs: nowMs)
        else {
            throw HTTPError(.badRequest, message: "since must be a span (24h, 7d) or a time (2026-12-04T02:00:00Z)")
        }
        let untilText = parameters["until"].map(String.init)
        guard let untilMs = untilText.map({ CaptureTime.milliseconds($0, nowMs: nowMs) }) ?? nowMs, untilMs > fromMs
        else { throw HTTPError(.badRequest, message: "until must be a time after since") }
        // At most 2,000 buckets per series: a year by the hour is the finest a chart shows.
        guard (untilMs - fromMs) / bucket.milliseconds <= 2000 else {
            throw HTTPError(.badRequest, message: "too many \(bucket.rawValue)s in that range; use a larger bucket")
        }
        let stream = parameters["stream"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        do {
            let body = Body(
                archive: reader.location.description, by: bucket.rawValue, from_ms: fromMs, until_ms: untilMs,
                streams: try await reader.streams(),
                counts: try await reader.eventCounts(by: bucket, fromMs: fromMs, untilMs: untilMs, stream: stream),
                occupancy: try await reader.occupancy(by: bucket, fromMs: fromMs, untilMs: untilMs, stream: stream))
            return Response(
                status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-cache"],
                body: .init(byteBuffer: ByteBuffer(string: WebSocketHub.encode(body))))
        } catch {
            throw HTTPError(.serviceUnavailable, message: error.message)
        }
    }
}
