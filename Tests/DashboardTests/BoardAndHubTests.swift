import Foundation
import Messages
import TestSupport
import Testing

@testable import Dashboard

private func message(
    _ stream: String, frame: Int64, timestampMs: Int64, tracks: Int = 1, jpeg: [UInt8]? = nil, run: String? = nil
) -> [UInt8] {
    var encoder = FrameMessageEncoder()
    let result = FrameResult(
        streamID: stream, frameID: frame, runID: run, timestampMs: timestampMs, width: 640, height: 480,
        tracks: (0..<tracks).map {
            Track(trackID: $0 + 1, classID: 0, className: "person", confidence: 0.9, x1: 1, y1: 2, x2: 30, y2: 40)
        })
    if let jpeg { return jpeg.withUnsafeBytes { encoder.encode(result, jpeg: $0) } }
    return encoder.encode(result)
}

@Suite("Stream board", .timeLimit(.minutes(1)))
struct StreamBoardTests {
    @Test("a message updates its stream: latest result, latency, rate, last seen")
    func ingest() throws {
        let board = StreamBoard()
        let now: Int64 = 1_000_000
        for frame in 0..<10 {
            _ = board.ingest(
                message("cam-1", frame: Int64(frame), timestampMs: now - 40, tracks: 2), nowMs: now + Int64(frame) * 100
            )
        }
        guard
            case .updated(let view, let thumbnail) = board.ingest(
                message("cam-1", frame: 10, timestampMs: now + 960, jpeg: [0xFF, 0xD8, 0xFF, 0xD9]), nowMs: now + 1000)
        else {
            Issue.record("not updated")
            return
        }
        #expect(view.frame_id == 10 && view.tracks.count == 1 && view.width == 640)
        #expect(view.latency_ms == 40)
        // 11 messages 100 ms apart, the newest received now: 10 intervals in 1 s.
        #expect(abs(view.rate - 10) < 1e-9, "rate \(view.rate)")
        #expect(view.state == .online && view.last_seen_ms == now + 1000)
        #expect(thumbnail?.data.hasPrefix("data:image/jpeg;base64,") == true)
        #expect(board.snapshot().first?.thumbnail?.frame_id == 10)
    }

    @Test(
        "a new run resets its stream at once (tracks, rate, counters, thumbnail); a late message from the older run is skipped and counted; configured streams wait"
    )
    func runs() throws {
        let board = StreamBoard()
        board.register(["cam-1", "cam-2"])
        #expect(board.snapshot().map(\.view.state) == [.waiting, .waiting])
        let run1 = "20261205T030000.000Z-00000001", run2 = "20261205T031500.000Z-00000002"
        for frame in 0..<20 {
            _ = board.ingest(
                message("cam-1", frame: Int64(frame), timestampMs: 1, tracks: 3, jpeg: [1, 2, 3], run: run1),
                nowMs: 1_000 + Int64(frame) * 100)
        }
        guard
            case .updated(let restarted, _) = board.ingest(
                message("cam-1", frame: 0, timestampMs: 1, tracks: 1, run: run2), nowMs: 3_100)
        else {
            Issue.record("the new run's first message was not taken")
            return
        }
        #expect(restarted.run_id == run2 && restarted.restarts == 1)
        #expect(restarted.messages == 1 && restarted.frame_id == 0 && restarted.tracks.count == 1)
        #expect(restarted.rate == 0, "the old run's rate is gone")
        #expect(board.snapshot().first?.thumbnail == nil, "the old run's preview is gone")
        guard
            case .outdated(let run, let current) = board.ingest(
                message("cam-1", frame: 19, timestampMs: 1, tracks: 5, run: run1), nowMs: 3_200)
        else {
            Issue.record("a late message from the old run was taken")
            return
        }
        #expect(run == run1 && current == run2)
        let view = try #require(board.snapshot().first?.view)
        #expect(view.run_id == run2 && view.tracks.count == 1 && view.frame_id == 0)
        // A producer without run ids belongs to the current run.
        guard case .updated(let legacy, _) = board.ingest(message("cam-1", frame: 1, timestampMs: 1), nowMs: 3_300)
        else {
            Issue.record("a message without run_id was not taken")
            return
        }
        #expect(legacy.run_id == run2 && legacy.restarts == 1 && legacy.messages == 2)
        let totals = board.totals(nowMs: 3_300)
        #expect(totals.outdated == 1 && totals.streams == 2 && totals.waiting == 1 && totals.online == 1)
        // A configured stream that never sent stays waiting (not offline) however long it is silent.
        _ = board.refresh(nowMs: 1_000_000)
        #expect(board.snapshot().last?.view.state == .waiting)
        #expect(board.snapshot().first?.view.state == .offline)
        #expect(board.snapshot().first?.view.reason?.hasPrefix("no message for") == true)
    }

    @Test("the live board skips a backlog once a message is more than 10 s old, at most once per 10 s")
    func backlogPolicy() {
        var policy = BacklogPolicy()
        let now: Int64 = 1_000_000
        // (Each decision taken first: the policy remembers its last skip.)
        let fresh = policy.shouldSkip(messageTimestampMs: now - 9_000, nowMs: now)
        #expect(!fresh, "9 s old: current enough")
        let unstamped = policy.shouldSkip(messageTimestampMs: nil, nowMs: now)
        #expect(!unstamped, "no timestamp: no judgement")
        let behind = policy.shouldSkip(messageTimestampMs: now - 60_000, nowMs: now)
        #expect(behind)
        let inFlight = policy.shouldSkip(messageTimestampMs: now - 60_000, nowMs: now + 5_000)
        #expect(!inFlight, "the old ones still in flight")
        let stillBehind = policy.shouldSkip(messageTimestampMs: now - 60_000, nowMs: now + 10_001)
        #expect(stillBehind, "still behind 10 s later")
    }

    @Test("malformed and unknown-field messages are handled and counted")
    func malformedAndUnknown() {
        let board = StreamBoard()
        if case .updated = board.ingest(Array("not json".utf8), nowMs: 1) { Issue.record("accepted garbage") }
        if case .updated = board.ingest(Array(#"{"stream":"a","tracks":[]}"#.utf8), nowMs: 1) {
            Issue.record("accepted a message without frame_id")
        }
        let future = #"{"stream":"a","frame_id":3,"tracks":[],"future_field":{"x":1},"another":[1]}"#
        guard case .updated(let view, _) = board.ingest(Array(future.utf8), nowMs: 1) else {
            Issue.record("unknown fields must be tolerated")
            return
        }
        #expect(view.frame_id == 3)
        let totals = board.totals(nowMs: 1)
        #expect(totals.invalid == 2 && totals.unknown_fields == 1 && totals.messages == 1 && totals.streams == 1)
    }

    @Test("health goes stale, then offline, when messages stop, and online again when they return")
    func health() {
        let board = StreamBoard(staleAfterSeconds: 3, offlineAfterSeconds: 15)
        _ = board.ingest(message("cam-1", frame: 0, timestampMs: 0), nowMs: 0)
        _ = board.ingest(message("cam-2", frame: 0, timestampMs: 0), nowMs: 0)
        #expect(board.refresh(nowMs: 2000).isEmpty)
        _ = board.ingest(message("cam-2", frame: 1, timestampMs: 0), nowMs: 2500)
        #expect(board.refresh(nowMs: 3500).map { "\($0.id) \($0.state)" } == ["cam-1 stale"])
        #expect(Set(board.refresh(nowMs: 16_000).map { "\($0.id) \($0.state)" }) == ["cam-1 offline", "cam-2 stale"])
        let totals = board.totals(nowMs: 16_000)
        #expect(totals.offline == 1 && totals.stale == 1 && totals.online == 0)
        guard case .updated(let view, _) = board.ingest(message("cam-1", frame: 9, timestampMs: 0), nowMs: 17_000)
        else {
            Issue.record("a valid message from a returning stream was not taken")
            return
        }
        #expect(view.state == .online)
        #expect(board.totals(nowMs: 17_000).online == 1)
    }

    @Test("the rate is messages per second: steady streams show their rate, a stream that stops decays to 0")
    func rateMeaning() {
        // 2 messages/s for 10 s.
        var recent: [Int64] = []
        for index in 0..<20 { recent.append(Int64(index) * 500) }
        #expect(abs(StreamBoard.rate(recent, nowMs: 9_500) - 2) < 1e-9)
        // A first message alone says nothing about a rate.
        #expect(StreamBoard.rate([1_000], nowMs: 1_000) == 0)
        // Stopped at 9.5 s: lower 2 s later, 0 once the window holds at most one message.
        let later = StreamBoard.rate(recent, nowMs: 11_500)
        #expect(later > 0 && later < 2, "rate \(later)")
        #expect(StreamBoard.rate(recent, nowMs: 14_400) == 0)
        // Through the board: 0.5 messages/s on one stream, 4/s on another.
        let board = StreamBoard()
        var last: [String: StreamView] = [:]
        for tick in 0...40 {
            let now = Int64(tick) * 250
            if tick % 8 == 0,
                case .updated(let view, _) = board.ingest(
                    message("slow", frame: Int64(tick), timestampMs: now), nowMs: now)
            {
                last["slow"] = view
            }
            if case .updated(let view, _) = board.ingest(
                message("fast", frame: Int64(tick), timestampMs: now), nowMs: now)
            {
                last["fast"] = view
            }
        }
        #expect(abs((last["slow"]?.rate ?? 0) - 0.5) < 1e-9 && abs((last["fast"]?.rate ?? 0) - 4) < 1e-9, "\(last)")
        #expect(abs(board.totals(nowMs: 10_000).messages_per_second - 4.5) < 1e-9)
    }

    @Test("snapshot orders ids with numbers compared as numbers")
    func order() {
        let board = StreamBoard()
        for id in ["cam-10", "cam-2", "cam-1"] { _ = board.ingest(message(id, frame: 0, timestampMs: 0), nowMs: 0) }
        #expect(board.snapshot().map(\.view.id) == ["cam-1", "cam-2", "cam-10"])
    }
}

@Suite("WebSocket fan-out", .timeLimit(.minutes(1)))
struct HubTests {
    @Test("a client's queue coalesces to the newest update per key")
    func coalescing() async {
        let queue = ClientQueue()
        for value in 0..<1000 { queue.put(key: "s:cam-1", streamID: "cam-1", payload: "\(value)") }
        queue.put(key: "s:cam-2", streamID: "cam-2", payload: "x")
        #expect(queue.pendingCount == 2 && queue.coalescedCount == 999)
        #expect(await queue.next() == ["999", "x"])
    }

    @Test("a stalled client stays bounded while another client keeps receiving")
    func stalledClient() async throws {
        let board = StreamBoard()
        let hub = WebSocketHub(board: board)
        let publisher = BoardPublisher(board: board, hub: hub, logger: .init(label: "test"))
        let stalled = hub.connect()
        let live = hub.connect()
        let reader = Task {
            var received: [String: Int64] = [:]
            while let batch = await live.queue.next() {
                for payload in batch {
                    guard let object = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any],
                        object["type"] as? String == "stream", let id = object["id"] as? String,
                        let frame = (object["frame_id"] as? NSNumber)?.int64Value
                    else { continue }
                    received[id] = frame
                }
                if received.count == 32 && received.values.allSatisfy({ $0 == 199 }) { return received }
            }
            return received
        }
        for frame in 0..<200 {
            for stream in 1...32 {
                publisher.ingest(message("cam-\(stream)", frame: Int64(frame), timestampMs: 0), origin: "test")
            }
            if frame % 20 == 0 { await Task.yield() }
        }
        publisher.tick()
        // The reader waits on the queue, which has no timeout: closing the live client after 30 s ends its loop.
        let watchdog = Watchdog(seconds: 30) { hub.disconnect(live.id) }
        let received = await reader.value
        watchdog.cancel()
        #expect(
            received.count == 32 && received.values.allSatisfy { $0 == 199 },
            "the live client got every stream's newest frame")
        // 32 stream views + totals at most, however many updates were published.
        #expect(stalled.queue.pendingCount <= 33)
        #expect(stalled.queue.coalescedCount >= 32 * 199 - 33)
        print(
            "fault: a WebSocket client that never reads while 6,400 updates are published; held: it holds \(stalled.queue.pendingCount) pending entries (\(stalled.queue.coalescedCount) coalesced), the live client got every stream's newest frame"
        )
        hub.disconnect(stalled.id)
        hub.disconnect(live.id)
        #expect(hub.clientCount == 0)
    }

    @Test("a client subscribed to a subset receives only those streams (and the totals)")
    func subset() async {
        let board = StreamBoard()
        let hub = WebSocketHub(board: board)
        let publisher = BoardPublisher(board: board, hub: hub, logger: .init(label: "test"))
        let client = hub.connect(subscription: ["cam-2"])
        let watchdog = Watchdog(seconds: 30) { hub.disconnect(client.id) }
        defer { watchdog.cancel() }
        _ = await client.queue.next()  // the (empty) snapshot: totals only
        for stream in 1...3 { publisher.ingest(message("cam-\(stream)", frame: 1, timestampMs: 0), origin: "test") }
        publisher.tick()
        let batch = await client.queue.next() ?? []
        let ids = batch.compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["id"] as? String
        }
        #expect(ids == ["cam-2"])
        #expect(batch.contains { $0.contains(#""type":"totals""#) })
    }

    @Test("a new client first receives the snapshot: totals, every stream and its thumbnail")
    func snapshotOnConnect() async {
        let board = StreamBoard()
        let hub = WebSocketHub(board: board)
        let publisher = BoardPublisher(board: board, hub: hub, logger: .init(label: "test"))
        publisher.ingest(message("cam-1", frame: 5, timestampMs: 0, jpeg: [1, 2, 3]), origin: "test")
        publisher.ingest(message("cam-2", frame: 6, timestampMs: 0), origin: "test")
        let client = hub.connect()
        let watchdog = Watchdog(seconds: 30) { hub.disconnect(client.id) }
        defer { watchdog.cancel() }
        let batch = await client.queue.next() ?? []
        let types = batch.compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["type"] as? String
        }
        #expect(types.sorted() == ["stream", "stream", "thumbnail", "totals"])
    }
}
