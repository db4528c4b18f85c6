import AnalyticsCore
import ArchiveStore
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import Messages
import Prometheus
import RuntimeSupport

/// The dashboard's HTTP and WebSocket server: the page, `/api/streams`, `/healthz` (liveness), `/readyz`
/// (readiness: 200 or 503 with the reasons), `/metrics` and `/ws`.
public enum DashboardServer {
    /// The page's files, read once from the package resources.
    struct StaticFiles: Sendable {
        let files: [String: (contentType: String, body: ByteBuffer)]

        static func load() throws -> StaticFiles {
            var files: [String: (String, ByteBuffer)] = [:]
            for (path, name, type) in [
                ("/", "index.html", "text/html; charset=utf-8"),
                ("/app.js", "app.js", "text/javascript; charset=utf-8"),
                ("/history.js", "history.js", "text/javascript; charset=utf-8"),
                ("/style.css", "style.css", "text/css; charset=utf-8"),
            ] {
                guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Resources")
                else {
                    throw HTTPError(
                        .internalServerError, message: "dashboard resource \(name) is missing from the build")
                }
                files[path] = (type, ByteBuffer(bytes: try Data(contentsOf: url)))
            }
            return StaticFiles(files: files)
        }
    }

    /// Builds the server application (a Service: run it in a ServiceGroup).
    public static func makeApplication(
        publisher: BoardPublisher, configuration: DashboardConfiguration, port: Int,
        registry: PrometheusCollectorRegistry?, readiness: @escaping @Sendable () -> ReadinessReport,
        replay: ReplaySessions? = nil, history: ArchiveReader? = nil, logger: Logger
    ) throws -> some ApplicationProtocol {
        let files = try StaticFiles.load()
        let board = publisher.board
        let hub = publisher.hub
        let clock = publisher.clock
        let router = Router(context: BasicWebSocketRequestContext.self)
        router.middlewares.add(AccessTokenMiddleware(token: configuration.accessToken))
        router.middlewares.add(MetricsMiddleware())

        for (path, file) in files.files {
            router.get(RouterPath(stringLiteral: path)) { _, _ in
                Response(
                    status: .ok, headers: [.contentType: file.contentType, .cacheControl: "no-cache"],
                    body: .init(byteBuffer: file.body))
            }
        }
        router.get("/api/streams") { _, _ in
            let now = clock.wallMilliseconds
            let body = StreamsResponse(streams: board.snapshot().map(\.view), totals: board.totals(nowMs: now))
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: WebSocketHub.encode(body))))
        }
        router.get("/healthz") { _, _ in
            let totals = board.totals(nowMs: clock.wallMilliseconds)
            let body =
                #"{"status":"ok","streams":\#(totals.streams),"online":\#(totals.online),"clients":\#(hub.clientCount)}"#
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("/api/events") { request, _ in
            let parameters = request.uri.queryParameters
            let limit = parameters["limit"].flatMap { Int($0) } ?? 100
            guard (1...StreamBoard.eventCapacity).contains(limit) else {
                throw HTTPError(.badRequest, message: "limit must be 1 to \(StreamBoard.eventCapacity)")
            }
            let events = board.recentEvents(
                limit: limit, stream: parameters["stream"].map(String.init), type: parameters["type"].map(String.init))
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: WebSocketHub.encode(EventsView(events: events)))))
        }
        router.get("/api/history") { request, _ in
            try await HistoryEndpoint.response(request, reader: history, nowMs: clock.wallMilliseconds)
        }
        router.get("/metrics") { _, _ in MetricsEndpoint.response(registry) }
        router.get("/readyz") { _, _ in MetricsEndpoint.response(readiness()) }
        router.ws("/ws") { inbound, outbound, context in
            let client = hub.connect()
            let replaying = replay.map { ReplaySessions.Connection(sessions: $0, queue: client.queue, hub: hub) }
            defer {
                replaying?.close()
                hub.disconnect(client.id)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Writer: the client's coalesced updates, as fast as the client reads them.
                group.addTask {
                    while let batch = await client.queue.next() {
                        for payload in batch { try await outbound.write(.text(payload)) }
                    }
                }
                // Replay: the connection's sessions, one after the other.
                if let replaying {
                    group.addTask {
                        await replaying.run()
                        // Ends only once the connection closed: wait for the other children to end it.
                        try await Task.sleep(for: .seconds(Int64.max / 2))
                    }
                }
                // Reader: subscription changes, {"subscribe": ["cam-1", …]} or {"subscribe": null} for all;
                // replay, {"replay": {"from": "10m", "speed": 4}} or {"replay": {"control": "pause"}}.
                group.addTask {
                    for try await message in inbound.messages(maxSize: 1 << 16) {
                        guard case .text(let text) = message else { continue }
                        if let request = try? JSONDecoder().decode(ReplayRequest.self, from: Data(text.utf8)) {
                            if let replaying {
                                replaying.handle(request.replay)
                            } else {
                                client.queue.put(
                                    key: "replay", streamID: nil,
                                    payload: WebSocketHub.encode(
                                        ReplaySession.Status(
                                            state: "failed", from_ms: 0, at_ms: 0, speed: 1, messages: 0,
                                            reason:
                                                "replay reads the Kafka topic back; this dashboard has none (set kafka.enabled, or use realtime-analytics-dashboard)"
                                        )))
                            }
                            continue
                        }
                        guard let request = try? JSONDecoder().decode(SubscribeRequest.self, from: Data(text.utf8))
                        else { continue }
                        client.queue.setSubscription(request.subscribe.map(Set.init))
                        if let subscribe = request.subscribe {
                            context.logger.debug("client subscribed to \(subscribe.count) streams")
                        }
                    }
                    client.queue.close()
                }
                try await group.next()
                group.cancelAll()
                client.queue.close()
            }
        }

        var serverConfiguration = ApplicationConfiguration(
            address: .hostname(configuration.host, port: port), serverName: "realtime-analytics-dashboard")
        serverConfiguration.reuseAddress = true
        return Application(
            router: router,
            server: .http1WebSocketUpgrade(
                webSocketRouter: router,
                configuration: .init(ws: .init(maxFrameSize: 1 << 16, autoPing: .enabled(timePeriod: .seconds(15))))),
            configuration: serverConfiguration,
            logger: logger)
    }

    struct StreamsResponse: Encodable {
        var streams: [StreamView]
        var totals: BoardTotals
    }

    struct SubscribeRequest: Decodable {
        var subscribe: [String]?
    }

    struct ReplayRequest: Decodable {
        var replay: ReplaySessions.Request
    }
}
