import Testing

@testable import Dashboard

/// The replay's pacing, driven with explicit wall times: no sleeping.
@Suite("Replay clock", .timeLimit(.minutes(1)))
struct ReplayClockTests {
    @Test("at 1x a message is due when as much wall time has passed as capture time separates it from the start")
    func realTime() {
        var clock = ReplayClock(fromMs: 1_000_000, speed: 1)
        #expect(clock.due(1_000_000, wallMs: 50) == .show, "the first message at the start time is due at once")
        #expect(clock.due(1_000_500, wallMs: 50) == .wait(milliseconds: 100))
        #expect(clock.due(1_000_500, wallMs: 450) == .wait(milliseconds: 100))
        #expect(clock.due(1_000_500, wallMs: 500) == .wait(milliseconds: 50))
        #expect(clock.due(1_000_500, wallMs: 550) == .show)
        #expect(clock.atMs == 1_000_500)
    }

    @Test("at 16x capture time passes sixteen times as fast; the speed can change on the way")
    func faster() {
        var clock = ReplayClock(fromMs: 0, speed: 16)
        _ = clock.due(0, wallMs: 1000)
        #expect(clock.due(1600, wallMs: 1050) == .wait(milliseconds: 50))
        #expect(clock.due(1600, wallMs: 1100) == .show)
        clock.speed = 4
        #expect(clock.due(2000, wallMs: 1150) == .wait(milliseconds: 50))
        #expect(clock.due(2000, wallMs: 1200) == .show)
    }

    @Test("paused, wall time passes without moving the clock; a step jumps to the next message")
    func pauseAndStep() {
        var clock = ReplayClock(fromMs: 0, speed: 1)
        _ = clock.due(0, wallMs: 0)
        clock.hold(wallMs: 10_000)
        #expect(clock.atMs == 0)
        #expect(clock.due(200, wallMs: 10_100) == .wait(milliseconds: 100), "only the 100 ms since the pause ended")
        clock.jump(to: 5000, wallMs: 10_150)
        #expect(clock.atMs == 5000)
        #expect(clock.due(5000, wallMs: 10_150) == .show)
    }

    @Test("a silence longer than 10 s of replay time is skipped, a shorter one is waited through")
    func gaps() {
        var clock = ReplayClock(fromMs: 0, speed: 1)
        #expect(clock.due(ReplayClock.gapSkipMs + 1, wallMs: 0) == .show)
        #expect(clock.atMs == ReplayClock.gapSkipMs + 1)
        #expect(clock.due(clock.atMs + 9000, wallMs: 0) == .wait(milliseconds: 100))
    }
}

@Suite("Replay merge of partitions", .timeLimit(.minutes(1)))
struct ReplayMergeTests {
    typealias Merge = ReplayMerge<String>

    @Test("partitions handed over a batch at a time come out by capture time; each partition keeps its own order")
    func mergesByCaptureTime() {
        var merge = Merge(capacity: 100)
        let frames = Merge.Source(topic: "frames", partition: 0)
        let other = Merge.Source(topic: "frames", partition: 1)
        let events = Merge.Source(topic: "events", partition: 0)
        // Partition 0's whole batch arrives first, as librdkafka hands it over.
        for time in [100, 200, 300, 400] { merge.add("p0@\(time)", captured: Int64(time), from: frames) }
        for time in [150, 250, 350] { merge.add("p1@\(time)", captured: Int64(time), from: other) }
        merge.add("event@250", captured: 250, from: events)
        #expect(merge.count == 8 && merge.earliestCaptured == 100)
        var order: [String] = []
        while let (_, item) = merge.removeEarliest() { order.append(item) }
        // Equal capture times: the lower topic name first ("events" < "frames"), so the order is fixed.
        #expect(order == ["p0@100", "p1@150", "p0@200", "event@250", "p1@250", "p0@300", "p1@350", "p0@400"])
        #expect(merge.count == 0 && merge.earliestCaptured == nil)
    }

    @Test("a partition whose own times go back is not reordered (Kafka's order within a partition is kept)")
    func keepsPartitionOrder() {
        var merge = Merge(capacity: 10)
        let source = Merge.Source(topic: "t", partition: 3)
        merge.add("late", captured: 500, from: source)
        merge.add("early", captured: 100, from: source)
        #expect(merge.removeEarliest()?.item == "late")
        #expect(merge.removeEarliest()?.item == "early")
    }

    @Test("full at capacity; a long-running partition does not keep what it handed out")
    func bounded() {
        var merge = Merge(capacity: 3)
        let source = Merge.Source(topic: "t", partition: 0)
        for time in 0..<3 { merge.add("\(time)", captured: Int64(time), from: source) }
        #expect(merge.isFull)
        _ = merge.removeEarliest()
        #expect(!merge.isFull)
        // 10,000 through one partition that never runs dry: the count stays at what is held.
        for time in 3..<10_003 {
            merge.add("\(time)", captured: Int64(time), from: source)
            _ = merge.removeEarliest()
        }
        #expect(merge.count == 2 && merge.earliestCaptured == 10_001)
    }
}
