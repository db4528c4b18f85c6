import AnalyticsCore
import Logging
import Synchronization
import Testing

/// Keeps every line logged through it.
private final class LineCollector: Sendable {
    let lines = Mutex<[String]>([])

    struct Handler: LogHandler {
        let collector: LineCollector
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            collector.lines.withLock { $0.append("\(event.level) \(event.message)") }
        }
    }

    var logger: Logger { Logger(label: "test") { _ in Handler(collector: self) } }
}

@Suite("Log throttle", .timeLimit(.minutes(1)))
struct LogThrottleTests {
    @Test(
        "the first occurrence is logged, then one line per interval saying how many there were and how many went unlogged"
    )
    func throttles() {
        let clock = Atomic<UInt64>(0)
        let throttle = LogThrottle(every: 10, nowNs: { clock.load(ordering: .relaxed) })
        let collector = LineCollector()
        let second: UInt64 = 1_000_000_000
        for time in [0, 1, 2, 9, 10, 11, 25].map({ $0 * second }) {
            clock.store(time, ordering: .relaxed)
            throttle.record(collector.logger, .warning, "bad thing at \(time / second)")
        }
        #expect(throttle.total == 7)
        #expect(
            collector.lines.withLock { $0 } == [
                "warning bad thing at 0",
                "warning bad thing at 10 (5 so far, 3 not logged since the last report)",
                "warning bad thing at 25 (7 so far, 1 not logged since the last report)",
            ])
    }
}
