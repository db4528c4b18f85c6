import AnalyticsCore
import Foundation
import Kafka
import Logging
import Messages
import RuntimeSupport
import TestSupport
import Testing

@testable import Dashboard

/// A replay session's pacing and controls, with a scripted consumer and a manual clock: what a browser's replay does
/// to the frames' timing, without a broker, a browser or waiting. The browser and the broker's offsets-for-times stay
/// in ReplayTests (the binaries) and KafkaTests.
@Suite("Replay sessions in process", .timeLimit(.minutes(1)))
struct ReplayInProcessTests {
    static let nowMs: Int64 = 1_800_000_000_000
    /// The replay starts a minute back; cam-0's frames were captured 400 ms apart from then.
    static let fromMs = nowMs - 60_000

    final class Bed: Sendable {
        let manual = ManualClock(wallMs: ReplayInProcessTests.nowMs)
        let consumer = ScriptedConsumer()
        let sessions: ReplaySessions
        let queue = ClientQueue()
        let connection: ReplaySessions.Connection
        let opened = SharedCounter()

        init(maxSessions: Int = 1, idleTimeoutSeconds: Double = 600) {
            var configuration = ConsumerConfiguration()
            configuration.kafka.topic = "frames"
            configuration.dashboard.replayMaxSessions = maxSessions
            configuration.dashboard.replayIdleTimeoutSeconds = idleTimeoutSeconds
            configuration.streams = [StreamConfiguration(id: "cam-0", source: .file(path: "x.mp4"))]
            let consumer = self.consumer, opened = self.opened
            sessions = ReplaySessions(
                configuration: configuration, logger: Logger(label: "test"), clock: manual.clock,
                openConsumer: { fromMs in
                    #expect(fromMs == ReplayInProcessTests.fromMs)
                    opened.add()
                    return consumer
                })
            let board = StreamBoard()
            connection = ReplaySessions.Connection(
                sessions: sessions, queue: queue, hub: WebSocketHub(board: board, clock: manual.clock))
        }

        /// The newest updates queued for the client: cam-0's frame id on the replay board and the replay's status.
        func read() async -> (frame: Int64?, status: [String: Any]?) {
            var frame: Int64?
            var status: [String: Any]?
            while queue.pendingCount > 0, let batch = await queue.next() {
                for payload in batch {
                    guard let json = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any]
                    else { continue }
                    if json["type"] as? String == "stream", let id = json["frame_id"] as? Int { frame = Int64(id) }
                    if json["type"] as? String == "replay" { status = json }
                }
            }
            return (frame, status)
        }

        /// Moves the clock on by `ms` and waits until the session sleeps again.
        func advance(_ ms: Int64) async -> Bool {
            await manual.advance(by: .milliseconds(ms), thenAwaitSleepers: 1)
        }
    }

    static func frames(_ count: Int) -> [KafkaMessage] {
        (0..<count).map { FeedInProcessTests.frame("cam-0", Int64($0), capturedMs: fromMs + Int64($0) * 400) }
    }

    @Test(
        "at 4x each 100 ms of wall time shows the frame captured 400 ms later; pause holds, step shows exactly one, 16x runs 4 times faster"
    )
    func pacingAndControls() async throws {
        let bed = Bed()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await bed.connection.run() }
            bed.connection.handle(.init(from: "\(Self.fromMs)", speed: 4))
            bed.consumer.send(Self.frames(40))
            #expect(await eventually { bed.manual.sleeperCount == 1 }, "the session waits for the second frame")
            #expect(await bed.read().frame == 0, "the frame captured at T is shown at once")
            for expected in Int64(1)...5 {
                #expect(await bed.advance(100))
                let shown = await bed.read().frame
                #expect(shown == expected, "after \(expected * 100) ms at 4x: frame \(String(describing: shown))")
            }
            // Paused: time passes, nothing more is shown; a step shows exactly the next frame.
            bed.connection.handle(.init(control: "pause"))
            for _ in 0..<10 { #expect(await bed.advance(100)) }
            let paused = await bed.read()
            #expect(paused.frame == nil, "nothing shown while paused")
            #expect(paused.status?["state"] as? String == "paused", "\(String(describing: paused.status))")
            bed.connection.handle(.init(control: "step"))
            #expect(await bed.advance(100))
            #expect(await bed.read().frame == 6)
            for _ in 0..<5 { #expect(await bed.advance(100)) }
            #expect(await bed.read().frame == nil, "one step, one frame")
            // 16x: 400 ms of capture time per 25 ms of wall time.
            bed.connection.handle(.init(speed: 16, control: "play"))
            #expect(await bed.advance(50))
            #expect(await bed.advance(100))
            let fast = await bed.read().frame ?? -1
            #expect((11...13).contains(fast), "150 ms at 16x after frame 6: frame \(fast)")
            bed.connection.close()
        }
        #expect(await eventually { bed.consumer.isClosed }, "leaving frees the consumer")
        #expect(bed.sessions.count == 0)
    }

    @Test("a session paused longer than replay_idle_timeout_s ends and frees its place")
    func idleTimeout() async throws {
        let bed = Bed(idleTimeoutSeconds: 60)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await bed.connection.run() }
            bed.connection.handle(.init(from: "\(Self.fromMs)", speed: 1))
            bed.consumer.send(Self.frames(3))
            #expect(await eventually { bed.manual.sleeperCount == 1 })
            bed.connection.handle(.init(control: "pause"))
            #expect(await bed.advance(59_000))
            #expect(await bed.read().status?["state"] as? String == "paused")
            bed.manual.advance(by: .seconds(2))
            #expect(await eventually { bed.consumer.isClosed }, "the idle session closes its consumer")
            let ended = await bed.read().status
            #expect(ended?["state"] as? String == "ended", "\(String(describing: ended))")
            #expect((ended?["reason"] as? String)?.contains("paused for over 60 s") == true)
            bed.connection.close()
        }
    }

    @Test("the session limit and a time that is not past are refused with a reason; the live view stays")
    func refusals() async throws {
        let bed = Bed(maxSessions: 1)
        let other = ReplaySessions.Connection(
            sessions: bed.sessions, queue: ClientQueue(),
            hub: WebSocketHub(board: StreamBoard(), clock: bed.manual.clock))
        let otherQueue = ClientQueue()
        let third = ReplaySessions.Connection(
            sessions: bed.sessions, queue: otherQueue, hub: WebSocketHub(board: StreamBoard(), clock: bed.manual.clock))
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await bed.connection.run() }
            bed.connection.handle(.init(from: "\(Self.fromMs)", speed: 1))
            #expect(bed.sessions.count == 1)
            func refusal() async -> String {
                var last = ""
                while otherQueue.pendingCount > 0, let batch = await otherQueue.next() {
                    for payload in batch where payload.contains("\"type\":\"replay\"") { last = payload }
                }
                return last
            }
            third.handle(.init(from: "\(Self.fromMs)", speed: 1))
            let full = await refusal()
            #expect(full.contains("\"failed\"") && full.contains("replay_max_sessions"), "\(full)")
            third.handle(.init(from: "\(Self.nowMs + 60_000)", speed: 1))
            let future = await refusal()
            #expect(future.contains("\"failed\"") && future.contains("is not a past time"), "\(future)")
            #expect(bed.opened.current == 1, "the refused session opened no consumer")
            bed.connection.close()
            other.close()
            third.close()
        }
        #expect(bed.sessions.count == 0)
    }
}
