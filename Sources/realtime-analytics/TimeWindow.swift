import ArgumentParser
import Foundation
import Messages

/// The window `consume` and `events` read back from the topic: `--since` or `--from`, and optionally `--until`, in
/// ms since the epoch. nil when neither start is given (live tail).
enum TimeWindow {
    static func make(since: String?, from: String?, until: String?) throws -> (from: Int64, until: Int64?)? {
        if since != nil && from != nil { throw ValidationError("--since and --from both give the start; use one") }
        var start: Int64?
        if let since {
            guard let seconds = CaptureTime.duration(since) else {
                throw ValidationError("--since \(since) is not a duration; use e.g. 90s, 10m, 2h or 1d")
            }
            start = Int64((Date().timeIntervalSince1970 - seconds) * 1000)
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
        return (start, end)
    }
}
