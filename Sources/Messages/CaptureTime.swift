import Foundation

/// Times users type to look back on the bus: an ISO 8601 instant (`2026-12-04T02:13:00Z`, optionally with
/// milliseconds) or a span ago (`90s`, `10m`, `2h`, `1d`). Used by `consume`, `events` and the dashboard's replay.
public enum CaptureTime {
    /// A span such as `10m`, in seconds; nil when it is not one.
    public static func duration(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        guard let unit = text.last.flatMap({ units[$0] }), let value = Double(text.dropLast()), value > 0 else {
            return nil
        }
        return value * unit
    }

    /// An ISO 8601 instant with or without fractional seconds; nil when it is not one.
    public static func instant(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    /// Milliseconds since the epoch for an instant, a span before `nowMs`, or a plain number of milliseconds.
    public static func milliseconds(_ text: String, nowMs: Int64) -> Int64? {
        if let date = instant(text) { return Int64(date.timeIntervalSince1970 * 1000) }
        if let seconds = duration(text) { return nowMs - Int64(seconds * 1000) }
        if let ms = Int64(text), ms > 0 { return ms }
        return nil
    }

    /// `2026-12-04T02:00:00Z` for milliseconds since the epoch (whole seconds, UTC).
    public static func iso8601(_ milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}
