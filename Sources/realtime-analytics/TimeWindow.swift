import ArgumentParser
import Foundation
import Kafka
import Messages
import RuntimeSupport

/// The window `consume` and `events` read back from the topic: `--since` or `--from`, and optionally `--until`.
/// Times are when a frame was captured or an event happened (the broker's index only positions the read).
struct TimeWindowOptions: ParsableArguments {
    @Option(help: "Read from this long ago: 90s, 10m, 2h or 1d (captured or happened then or later).")
    var since: String?

    @Option(help: "Read from this time: 2026-12-04T02:13:00Z (or with .123 ms).")
    var from: String?

    @Option(help: "With --since or --from: stop at this time, once the topic's end is reached.")
    var until: String?

    /// nil when neither start is given (live tail).
    var window: TimeWindow? {
        get throws { try TimeWindow.make(since: since, from: from, until: until) }
    }

    /// The command's own checks plus this one: a window and `--from-beginning` exclude each other.
    func validate(fromBeginning: Bool) throws {
        if try window != nil && fromBeginning {
            throw ValidationError("--from-beginning and a start time exclude each other")
        }
    }
}

/// A window of capture (or event) times, in ms since the epoch: from `from`, before `until` when set.
struct TimeWindow {
    let from: Int64
    let until: Int64?

    /// Where a consumer starts reading it: the broker's offsets-for-times index, ending at the topic's end when the
    /// window has an end.
    var start: KafkaConsumer.Start { .time(from, finishAtEnd: until != nil) }

    /// Positioned by the broker's timestamps (stamped after capture): the message's own time decides.
    func contains(_ ms: Int64) -> Bool { ms >= from && until.map { ms < $0 } ?? true }

    static func make(since: String?, from: String?, until: String?) throws -> TimeWindow? {
        if since != nil && from != nil { throw ValidationError("--since and --from both give the start; use one") }
        var start: Int64?
        if let since {
            guard let seconds = CaptureTime.duration(since) else {
                throw ValidationError("--since \(since) is not a duration; use e.g. 90s, 10m, 2h or 1d")
            }
            start = ServiceClock.system.wallMilliseconds - Int64(seconds * 1000)
        }
        if let from {
            guard let date = CaptureTime.instant(from) else {
                throw ValidationError("--from \(from) is not a time; use e.g. 2026-12-04T02:13:00Z")
            }
            start = Int64(date.timeIntervalSince1970 * 1000)
        }
        let end = try until.map { text throws -> Int64 in
            guard let date = CaptureTime.instant(text) else {
                throw ValidationError("--until \(text) is not a time; use e.g. 2026-12-04T02:20:00Z")
            }
            return Int64(date.timeIntervalSince1970 * 1000)
        }
        guard let start else {
            if end != nil { throw ValidationError("--until needs --since or --from") }
            return nil
        }
        if let end, end <= start { throw ValidationError("--until must be after the start") }
        return TimeWindow(from: start, until: end)
    }
}
