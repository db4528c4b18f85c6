import Logging
import RuntimeSupport
import Synchronization

/// The one way the project logs a problem that may repeat on every frame or message: the first occurrence, then at
/// most one line per interval, each saying how many occurrences it stands for. Every occurrence is counted.
/// Thread-safe; the clock is injectable for tests.
public final class LogThrottle: Sendable {
    private let intervalNs: UInt64
    private let nowNs: @Sendable () -> UInt64
    private let state = Mutex<(total: Int, lastLoggedNs: UInt64?, leftOut: Int)>((0, nil, 0))

    public init(
        every seconds: Double = 10, nowNs: @escaping @Sendable () -> UInt64 = MonotonicClock.nowNanoseconds
    ) {
        intervalNs = UInt64(max(0, seconds) * 1e9)
        self.nowNs = nowNs
    }

    /// Occurrences so far.
    public var total: Int { state.withLock { $0.total } }

    /// Records one occurrence and logs `message` at `level` when this one is due, followed by how many occurrences
    /// there have been in all and how many went unlogged since the last line.
    public func record(
        _ logger: Logger, _ level: Logger.Level = .error, _ message: @autoclosure () -> String
    ) {
        let now = nowNs()
        let report: (total: Int, leftOut: Int)? = state.withLock { state in
            state.total += 1
            if let last = state.lastLoggedNs, now < last + intervalNs {
                state.leftOut += 1
                return nil
            }
            defer { state = (state.total, now, 0) }
            return (state.total, state.leftOut)
        }
        guard let report else { return }
        let counts =
            report.total == 1 ? "" : " (\(report.total) so far, \(report.leftOut) not logged since the last report)"
        logger.log(level: level, "\(message())\(counts)")
    }
}
