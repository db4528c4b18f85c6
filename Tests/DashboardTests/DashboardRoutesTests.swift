import AnalyticsCore
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSTesting
import Logging
import Messages
import Testing

@testable import Dashboard

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

    @Test(
        "the token comparison: equal only when equal; a guess longer or shorter by 1, 255, 256, 257, 512 or 65,536 bytes never passes (the token followed by 256 NUL bytes passed before 0.7.0)"
    )
    func tokenComparison() {
        typealias Guard = AccessTokenMiddleware<BasicRequestContext>
        let token = "s3cret"
        #expect(Guard.constantTimeEquals(Substring(token), token))
        #expect(!Guard.constantTimeEquals("s3creT", token))
        #expect(!Guard.constantTimeEquals("", token))
        #expect(!Guard.constantTimeEquals(Substring(token), ""))
        for extra in [1, 255, 256, 257, 512, 768, 65_536] {
            let padded = token + String(repeating: "\0", count: extra)
            #expect(!Guard.constantTimeEquals(Substring(padded), token), "token + \(extra) NUL bytes")
            #expect(!Guard.constantTimeEquals(Substring(token), padded), "token against token + \(extra) NUL bytes")
        }
    }

    @Test(
        "with a token, every route but /healthz answers 401 without it, with a wrong one and with the token plus 256 NUL bytes, and serves with the right one"
    )
    func everyRouteIsGuarded() async throws {
        let (app, publisher) = try application(token: "s3cret")
        publisher.ingest(message(stream: "cam-1"))
        let nuls = String(repeating: "%00", count: 256)
        try await app.test(.router) { client in
            for path in ["/", "/app.js", "/api/streams", "/api/events", "/metrics", "/readyz", "/ws"] {
                for denied in [path, "\(path)?token=wrong", "\(path)?token=s3cret\(nuls)"] {
                    try await client.execute(uri: denied, method: .get) { response in
                        #expect(response.status == .unauthorized, "\(denied.prefix(60)): \(response.status)")
                    }
                }
                try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer wrong"]) {
                    response in
                    #expect(response.status == .unauthorized, "\(path) with a wrong bearer: \(response.status)")
                }
                if path != "/ws" {
                    try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer s3cret"]) {
                        response in
                        #expect(response.status != .unauthorized, "\(path) with the token: \(response.status)")
                    }
                }
            }
            try await client.execute(uri: "/api/events", method: .get, headers: [.authorization: "Bearer s3cret"]) {
                response in
                #expect(response.status == .ok && String(buffer: response.body).contains(#""events""#))
            }
        }
    }

    @Test(
        "/ws with a token: the upgrade is refused without it, with a wrong one or the token plus 256 NUL bytes; with it (bearer or ?token=) the live feed and the replay control answer"
    )
    func webSocketIsGuarded() async throws {
        let (app, publisher) = try application(token: "s3cret")
        publisher.ingest(message(stream: "cam-1"))
        let nuls = String(repeating: "%00", count: 256)
        try await app.test(.live) { client in
            for (path, headers) in [
                ("/ws", [:]), ("/ws?token=wrong", [:]), ("/ws?token=s3cret\(nuls)", [:]),
                ("/ws", [.authorization: "Bearer wrong"]),
            ] as [(String, HTTPFields)] {
                await #expect(throws: (any Error).self, "\(path.prefix(30)) \(headers)") {
                    try await client.ws(path, configuration: .init(additionalHeaders: headers)) { _, _, _ in }
                }
            }
            for (path, headers) in [
                ("/ws", [.authorization: "Bearer s3cret"]), ("/ws?token=s3cret", [:]),
            ] as [(String, HTTPFields)] {
                let seen = SeenTexts()
                try await client.ws(path, configuration: .init(additionalHeaders: headers)) { inbound, outbound, _ in
                    // Replay control: this in-process dashboard has no topic to replay, and says so.
                    try await outbound.write(.text(#"{"replay":{"from":"10m","speed":1}}"#))
                    for try await message in inbound.messages(maxSize: 1 << 22) {
                        guard case .text(let text) = message else { continue }
                        seen.add(text)
                        if seen.sawLive && seen.sawReplay { break }
                    }
                }
                #expect(seen.sawLive, "\(path): the live board reached the client")
                #expect(seen.sawReplay, "\(path): the replay control answered")
            }
        }
    }
}

/// What a WebSocket test client received: the live board (cam-1) and the replay control's answer.
private final class SeenTexts: @unchecked Sendable {
    private let lock = NSLock()
    private var live = false, replay = false
    func add(_ text: String) {
        lock.withLock {
            live = live || text.contains("cam-1")
            replay = replay || text.contains("replay reads the Kafka topic back")
        }
    }
    var sawLive: Bool { lock.withLock { live } }
    var sawReplay: Bool { lock.withLock { replay } }
}
