import AnalyticsCore
import Dashboard
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Messages
import Testing

/// The HTTP routes and the access token, in process (HummingbirdTesting's router client: no socket, no browser).
@Suite("Dashboard routes", .timeLimit(.minutes(1)))
struct DashboardRoutesTests {
    private func application(
        token: String?, readiness: ReadinessReport = ReadinessReport(problems: [], streams: [])
    ) throws -> (some ApplicationProtocol, BoardPublisher) {
        var configuration = DashboardConfiguration()
        configuration.accessToken = token
        let components = DashboardComponents(
            configuration: configuration,
            streams: ["cam-1", "cam-never"].map { StreamConfiguration(id: $0, source: .file(path: "/x.mp4")) },
            logger: Logger(label: "test"))
        let app = try DashboardServer.makeApplication(
            publisher: components.publisher, configuration: configuration, port: 0, registry: nil,
            readiness: { readiness }, logger: Logger(label: "test"))
        return (app, components.publisher)
    }

    private func message(stream: String) -> DecodedFrameMessage {
        let track = Track(trackID: 7, classID: 0, className: "person", confidence: 0.9, x1: 10, y1: 20, x2: 60, y2: 140)
        let result = FrameResult(
            streamID: stream, frameID: 42, timestampMs: Int64(Date().timeIntervalSince1970 * 1000), width: 640,
            height: 480, tracks: [track])
        return DecodedFrameMessage(result: result, frameJPEG: nil, schemaVersion: FrameMessageEncoder.schemaVersion)
    }

    @Test(
        "without a token: the page, /healthz, /readyz (503 with its reasons) and /api/streams with a typed message the board took and a configured stream still waiting"
    )
    func openRoutes() async throws {
        let notReady = ReadinessReport(
            problems: ["kafka: no broker answers (Local: Broker transport failure)"],
            streams: [.init(id: "cam-never", state: "waiting", reason: "no message yet")])
        let (app, publisher) = try application(token: nil, readiness: notReady)
        publisher.ingest(message(stream: "cam-1"))
        try await app.test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(String(buffer: response.body).contains("<html"))
            }
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(#""streams":2"#))
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let body = try #require(
                    try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any])
                #expect(body["status"] as? String == "not ready")
                #expect((body["problems"] as? [String])?.first?.hasPrefix("kafka: no broker answers") == true)
            }
            try await client.execute(uri: "/api/streams", method: .get) { response in
                #expect(response.status == .ok)
                let body = try #require(
                    try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any])
                let all = try #require(body["streams"] as? [[String: Any]])
                #expect(
                    all.count == 2 && all[1]["id"] as? String == "cam-never" && all[1]["state"] as? String == "waiting")
                let streams = Array(all.prefix(1))
                #expect(streams[0]["id"] as? String == "cam-1" && streams[0]["state"] as? String == "online")
                #expect(streams[0]["frame_id"] as? Int == 42)
                let tracks = try #require(streams[0]["tracks"] as? [[String: Any]])
                #expect(tracks.count == 1 && tracks[0]["track_id"] as? Int == 7)
            }
            try await client.execute(uri: "/nothing-here", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test(
        "with a token: 401 without it or with a wrong one; accepted as bearer, query (which sets the cookie) or cookie; /healthz stays open"
    )
    func accessToken() async throws {
        let (app, _) = try application(token: "s3cret")
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/streams", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/api/streams", method: .get, headers: [.authorization: "Bearer wrong"]) {
                response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/api/streams?token=s3cre", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/api/streams", method: .get, headers: [.authorization: "Bearer s3cret"]) {
                response in
                #expect(response.status == .ok)
                #expect(response.headers[.setCookie] == nil)
            }
            try await client.execute(uri: "/?token=s3cret", method: .get) { response in
                #expect(response.status == .ok)
                let cookie = try #require(response.headers[.setCookie])
                #expect(cookie.hasPrefix("ra_token=s3cret") && cookie.contains("HttpOnly"))
            }
            try await client.execute(uri: "/app.js", method: .get, headers: [.cookie: "ra_token=s3cret"]) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }
}
