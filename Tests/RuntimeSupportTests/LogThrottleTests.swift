import Logging
import RuntimeSupport
import Synchronization
import TestSupport
import Testing

@Suite("Log throttle", .timeLimit(.minutes(1)))
struct LogThrottleTests {
    @Test(
        "the first occurrence is logged, then one line per interval saying how many there were and how many went unlogged"
    )
    func throttles() {
        let clock = ManualClock()
        let throttle = LogThrottle(every: 10, clock: clock.clock)
        let collector = LogRecorder()
        var now = 0
        for time in [0, 1, 2, 9, 10, 11, 25] {
            clock.advance(by: .seconds(time - now))
            now = time
            throttle.record(collector.logger, .warning, "bad thing at \(time)")
        }
        #expect(throttle.total == 7)
        #expect(
            collector.lines.withLock { $0 } == [
                "warning bad thing at 0",
                "warning bad thing at 10 (5 so far, 3 not logged since the last report)",
                "warning bad thing at 25 (7 so far, 1 not logged since the last report)",
            ])
    }

    @Test(
        "each key is throttled on its own: a frequent problem does not hide a rare one; old keys are forgotten at the limit"
    )
    func keys() {
        let clock = ManualClock()
        let throttle = LogThrottle(every: 30, clock: clock.clock, keyLimit: 2)
        let collector = LogRecorder()
        for _ in 0..<5 { throttle.record(collector.logger, key: "timed out", "timed out") }
        throttle.record(collector.logger, key: "too large", "too large")
        clock.advance(by: .seconds(31))
        throttle.record(collector.logger, key: "timed out", "timed out")
        // A third key at the limit forgets the keys not logged within the interval ("too large"), so it is new again.
        throttle.record(collector.logger, key: "unknown topic", "unknown topic")
        throttle.record(collector.logger, key: "too large", "too large")
        #expect(throttle.total == 9)
        #expect(
            collector.lines.withLock { $0 } == [
                "error timed out",
                "error too large",
                "error timed out (6 so far, 4 not logged since the last report)",
                "error unknown topic",
                "error too large",
            ])
    }
}
