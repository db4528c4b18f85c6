import Foundation

/// Stream ids or shell-style patterns (`*`, `?`).
public enum StreamPattern {
    public static func matches(_ pattern: String, _ id: String) -> Bool {
        fnmatch(pattern, id, 0) == 0
    }
}

/// `HH:MM-HH:MM` in a time zone; the end is excluded, and a start after the end wraps midnight.
public struct AlertSchedule: Sendable, Equatable {
    public var startMinute: Int
    public var endMinute: Int
    public var timeZone: String

    public init?(_ text: String, timeZone: String) {
        let parts = text.split(separator: "-").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let start = Self.minute(parts[0]), let end = Self.minute(parts[1]), start != end else {
            return nil
        }
        startMinute = start
        endMinute = end
        self.timeZone = timeZone
    }

    private static func minute(_ text: String) -> Int? {
        let fields = text.split(separator: ":")
        guard fields.count == 2, fields[1].count == 2, let hour = Int(fields[0]), let minute = Int(fields[1]),
            (0...24).contains(hour), (0...59).contains(minute), hour * 60 + minute <= 1440
        else { return nil }
        return hour * 60 + minute
    }

    /// Whether `milliseconds` since the epoch falls in the schedule.
    public func contains(milliseconds: Int64) -> Bool {
        let zone = TimeZone(identifier: timeZone) ?? TimeZone(secondsFromGMT: 0)!
        let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        let seconds = Int(floor(date.timeIntervalSince1970)) + zone.secondsFromGMT(for: date)
        let minute = ((seconds / 60) % 1440 + 1440) % 1440
        return startMinute < endMinute
            ? (minute >= startMinute && minute < endMinute) : (minute >= startMinute || minute < endMinute)
    }
}

/// The placeholders a rule's `text` may use.
public enum AlertTextTemplate {
    public static let placeholders = [
        "rule", "stream", "zone", "line", "value", "state", "severity", "for_s", "min_count", "window_s", "min_s",
    ]

    static func problem(_ text: String) -> String? {
        for name in names(in: text) where !placeholders.contains(name) {
            return "uses {\(name)}; allowed placeholders: \(placeholders.map { "{\($0)}" }.joined(separator: ", "))"
        }
        return nil
    }

    static func names(in text: String) -> [String] {
        var names: [String] = []
        var rest = text[...]
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            names.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }

    /// `text` with each `{name}` replaced by `values[name]` (unknown names stay as written).
    public static func render(_ text: String, _ values: [String: String]) -> String {
        var result = ""
        var rest = text[...]
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            result += rest[..<open]
            let name = String(rest[rest.index(after: open)..<close])
            result += values[name] ?? "{\(name)}"
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }
}

/// An MQTT topic template: `{stream}`, `{rule}` and `{zone}` only, and no MQTT wildcard.
public enum AlertTopicTemplate {
    static func problem(_ topic: String) -> String? {
        if topic.contains("#") || topic.contains("+") {
            return "'\(topic)' contains an MQTT wildcard (# or +); a publish topic cannot"
        }
        for name in AlertTextTemplate.names(in: topic) where !["stream", "rule", "zone"].contains(name) {
            return "uses {\(name)}; allowed placeholders: {stream}, {rule}, {zone}"
        }
        return nil
    }
}
