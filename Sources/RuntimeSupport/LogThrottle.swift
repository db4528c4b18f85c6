import Logging
import Synchronization

/// The one way the project logs a problem that may repeat on every frame, message or retry: the first occurrence,
/// then at most one line per interval, each saying how many occurrences it stands for. Occurrences are throttled per
/// key (e.g. one Kafka error code, or one FFmpeg line of one stream), so a frequent problem does not hide a rare one.
/// Every occurrence is counted. Thread-safe; time comes from the injected clock.
public final class LogThrottle: Sendable {
    private struct Entry {
        var total = 0
        var lastLoggedNs: UInt64?
        var leftOut = 0
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var total = 0
    }

    private let intervalNs: UInt64
    private let clock: ServiceClock
    /// Keys kept at most; beyond it, keys not logged within an interval are forgotten (a source of ever-new lines
    /// cannot grow memory).
    private let keyLimit: Int
    private let state = Mutex(State())

    public init(every seconds: Double = 10, clock: ServiceClock = .system, keyLimit: Int = 1000) {
        intervalNs = UInt64(max(0, seconds) * 1e9)
        self.clock = clock
        self.keyLimit = max(1, keyLimit)
    }

    /// Occurrences so far, of every key.
    public var total: Int { state.withLock { $0.total } }

    /// Records one occurrence of `key` and logs `message` at `level` when this one is due, followed by how many
    /// occurrences of the key there have been in all and how many went unlogged since its last line.
    public func record(
        _ logger: Logger, _ level: Logger.Level = .error, key: String = "", metadata: Logger.Metadata? = nil,
        _ message: @autoclosure () -> String
    ) {
        let now = clock.uptimeNanoseconds
        let report: (total: Int, leftOut: Int)? = state.withLock { state in
            state.total += 1
            var entry = state.entries[key] ?? Entry()
            defer { state.entries[key] = entry }
            entry.total += 1
            if let last = entry.lastLoggedNs, now < last &+ intervalNs {
                entry.leftOut += 1
                return nil
            }
            if entry.lastLoggedNs == nil && state.entries.count >= keyLimit {
                state.entries = state.entries.filter { now < ($0.value.lastLoggedNs ?? 0) &+ intervalNs }
            }
            defer { (entry.lastLoggedNs, entry.leftOut) = (now, 0) }
            return (entry.total, entry.leftOut)
        }
        guard let report else { return }
        let counts =
            report.total == 1 ? "" : " (\(report.total) so far, \(report.leftOut) not logged since the last report)"
        logger.log(level: level, "\(message())\(counts)", metadata: metadata)
    }
}
