import AnalyticsCore
import Foundation
import Kafka
import Logging
import Messages
import RuntimeSupport
import ServiceLifecycle
import TestSupport
import Testing

@testable import Dashboard

/// The dashboard's Kafka feed and replay sessions in process: a scripted consumer and a manual clock instead of a
/// broker and waiting. What only processes show (the binaries, a real broker's seek, the browser) stays in
/// DashboardProcessTests, ReplayTests and KafkaTests.
@Suite("Dashboard feed and replay in process", .timeLimit(.minutes(1)))
struct FeedInProcessTests {
    static let startMs: Int64 = 1_800_000_000_000
    static let streams = (0..<8).map { "cam-\($0)" }

    /// A frame message as the pipeline sends it, stamped (broker time) at its capture time.
    static func frame(_ stream: String, _ id: Int64, capturedMs: Int64, topic: String = "frames") -> KafkaMessage {
        var encoder = FrameMessageEncoder()
        let result = FrameResult(
            streamID: stream, frameID: id, runID: "run-1", timestampMs: capturedMs, width: 640, height: 480,
            tracks: [Track(trackID: 1, classID: 0, className: "person", confidence: 0.9, x1: 1, y1: 2, x2: 30, y2: 40)])
        return KafkaMessage(
            topic: topic, partition: 0, offset: id, key: Array(stream.utf8), value: encoder.encode(result),
            timestampMs: capturedMs)
    }

    /// Every stream at 5 fps from `fromMs` (inclusive) to `untilMs` (exclusive), in capture order.
    static func frames(fromMs: Int64, untilMs: Int64) -> [KafkaMessage] {
        stride(from: fromMs, to: untilMs, by: 200).flatMap { at in
            streams.map { frame($0, (at - startMs + 60_000) / 200, capturedMs: at) }
        }
    }

    struct Bed {
        let manual = ManualClock(wallMs: FeedInProcessTests.startMs)
        let consumer = ScriptedConsumer()
        let board = StreamBoard(staleAfterSeconds: 3, offlineAfterSeconds: 15)
        let publisher: BoardPublisher
        let feed: KafkaBoardFeed

        init(startAtNewest: Bool = true) {
            var configuration = ConsumerConfiguration()
            configuration.kafka.topic = "frames"
            configuration.dashboard.startAtNewest = startAtNewest
            board.register(FeedInProcessTests.streams)
            publisher = BoardPublisher(
                board: board, hub: WebSocketHub(board: board, clock: manual.clock), logger: Logger(label: "test"))
            feed = KafkaBoardFeed(
                configuration: configuration, consumer: consumer, publisher: publisher, logger: Logger(label: "test"))
        }

        func views() -> [String: StreamView] {
            Dictionary(uniqueKeysWithValues: board.snapshot().map { ($0.view.id, $0.view) })
        }

        /// Runs the feed in a service group while `body` runs, then shuts the group down gracefully (as SIGTERM
        /// does) and checks that the feed ended and closed its consumer.
        func running(_ body: () async throws -> Void) async throws {
            let group = ServiceGroup(
                configuration: .init(services: [.init(service: feed)], logger: Logger(label: "test")))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try await body()
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            #expect(consumer.isClosed, "the feed closes its consumer when it ends")
        }
    }

    @Test(
        "a live board 60 s behind skips to the present: one seek to 3 s ago, the backlog passed over, every stream current"
    )
    func backlogSkipped() async throws {
        let bed = Bed()
        let now = Self.startMs
        // What the broker holds: 60 s of 8 streams behind the group's offsets. After a seek it sends from the time
        // sought (the last 3 s), and what was fetched before is dropped (librdkafka does the same).
        bed.consumer.onSeek { [consumer = bed.consumer] to in
            consumer.send(Self.frames(fromMs: to, untilMs: now))
        }
        bed.consumer.set(lag: 2400)
        try await bed.running {
            let backlog = Self.frames(fromMs: now - 60_000, untilMs: now - 3000)
            // The feed may pass over the whole backlog before its seek lands: either way none of it is shown.
            _ = await runOnDedicatedThread(named: "scripted broker") { [consumer = bed.consumer] in
                consumer.sendUntilSought(backlog)
            }
            let current = await eventually {
                let views = bed.views()
                return Self.streams.allSatisfy { views[$0]?.timestamp_ms == now - 200 }
            }
            #expect(current, "every stream shows its newest frame: \(bed.views().mapValues(\.timestamp_ms))")
        }
        #expect(bed.consumer.seeks == [now - 3000], "one skip, to 3 s before now")
        let ingested = bed.views().values.map(\.messages).reduce(0, +)
        // The last 3 s (8 streams x 15 frames), and none of the 2,280 backlog messages.
        #expect(ingested == 120, "the board ingested \(ingested) messages")
    }

    @Test("a board that reads its group from the beginning (start_at: earliest) replays the backlog: no seek")
    func backlogReplayedWhenAsked() async throws {
        let bed = Bed(startAtNewest: false)
        let now = Self.startMs
        try await bed.running {
            let backlog = Self.frames(fromMs: now - 60_000, untilMs: now)
            await runOnDedicatedThread(named: "scripted broker") { [consumer = bed.consumer] in
                consumer.send(backlog)
            }
            #expect(await eventually { bed.views().values.map(\.messages).reduce(0, +) == 2400 })
        }
        #expect(bed.consumer.seeks.isEmpty)
    }

    @Test(
        "staleness by the feed's own ticker and clock: online, stale after stale_after_s, offline after offline_after_s, online again with the next message"
    )
    func staleness() async throws {
        let bed = Bed()
        let now = Self.startMs
        try await bed.running {
            bed.consumer.send([Self.frame("cam-0", 1, capturedMs: now - 100)])
            #expect(await eventually { bed.views()["cam-0"]?.state == .online })
            // The ticker and the lag sampler sleep on the manual clock.
            #expect(await bed.manual.advance(by: .seconds(1), thenAwaitSleepers: 2))
            #expect(bed.views()["cam-0"]?.state == .online)
            #expect(await bed.manual.advance(by: .seconds(3), thenAwaitSleepers: 2))
            #expect(
                await eventually { bed.views()["cam-0"]?.state == .stale },
                "\(String(describing: bed.views()["cam-0"]))")
            #expect(await bed.manual.advance(by: .seconds(12), thenAwaitSleepers: 2))
            #expect(await eventually { bed.views()["cam-0"]?.state == .offline })
            #expect(
                bed.views()["cam-0"]?.reason == "no message for over 15.0 s",
                "\(String(describing: bed.views()["cam-0"]?.reason))")
            // A stream that never sent stays waiting, whatever the time.
            #expect(bed.views()["cam-1"]?.state == .waiting)
            bed.consumer.send([Self.frame("cam-0", 2, capturedMs: now + 16_000)])
            #expect(await eventually { bed.views()["cam-0"]?.state == .online })
        }
    }

    @Test("readiness names a broker that does not answer and a group that assigned no partition; ready otherwise")
    func readiness() async throws {
        let bed = Bed()
        #expect(bed.feed.readiness().problems.isEmpty)
        bed.consumer.set(brokerStatus: .unreachable("127.0.0.1:9092/bootstrap: DOWN"))
        bed.consumer.set(assignedPartitions: 0)
        let problems = bed.feed.readiness().problems
        #expect(problems.contains { $0.contains("no broker answers (127.0.0.1:9092/bootstrap: DOWN)") }, "\(problems)")
        #expect(problems.contains { $0.contains("no partition of frames is assigned") }, "\(problems)")
        bed.consumer.set(brokerStatus: .reachable)
        bed.consumer.set(assignedPartitions: 3)
        #expect(bed.feed.readiness().problems.isEmpty)
    }
}
