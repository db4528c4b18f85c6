import ArgumentParser
import CommandLineSupport
import Foundation
import Kafka
import Logging
import Messages

extension RealtimeAnalytics {
    /// Tails `kafka.events_topic`: one line per zone or line event, the kind of consumer the bus exists for (an
    /// alerting hook reads the same messages).
    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the zone and line events on kafka.events_topic, one line each (filter by type or stream).")

        @OptionGroup var options: CommonOptions

        @Option(help: "Only this event type: zone_enter, zone_exit, dwell or line_cross.")
        var type: String?

        @Option(help: "Only this stream.")
        var stream: String?

        @Flag(help: "Start at the oldest event kept by the broker instead of the newest.")
        var fromBeginning = false

        @Option(help: "Stop after this many printed events.")
        var maxEvents: Int?

        @Option(help: "Stop after this many seconds.")
        var seconds: Double?

        @OptionGroup var time: TimeWindowOptions

        @Flag(
            help:
                "Instead of one line per event, print how many there were per stream, zone or line, event, direction and class (with --since or --from: over that window)."
        )
        var counts = false

        static let types = ["zone_enter", "zone_exit", "dwell", "line_cross"]

        func validate() throws {
            try time.validate(fromBeginning: fromBeginning)
            if let type, !Self.types.contains(type) {
                throw ValidationError(
                    "--type \(type) is not an event type; use one of \(Self.types.joined(separator: ", "))")
            }
        }

        func run() async throws {
            let window = try time.window
            let tail = try TopicTail.open(
                options: options, name: "events", fromBeginning: fromBeginning, seconds: seconds,
                start: window?.start ?? .group, topic: \.eventsTopic)
            var printed = 0
            var tally = EventTally()
            try await tail.read { message in
                if let window, let event = ZoneEventMessage.decode(message.value), !window.contains(event.timestamp_ms)
                {
                    return true
                }
                if counts {
                    guard let event = ZoneEventMessage.decode(message.value),
                        type.map({ event.event == $0 }) ?? true, stream.map({ event.stream == $0 }) ?? true
                    else { return true }
                    tally.add(event)
                    printed += 1
                } else {
                    guard let line = Self.describe(message.value, type: type, stream: stream) else { return true }
                    TopicTail.printLine(line)
                    printed += 1
                }
                return maxEvents.map { printed < $0 } ?? true
            }
            if counts {
                for line in tally.lines { TopicTail.printLine(line) }
            }
            FileHandle.standardError.write(Data("events: \(printed) \(counts ? "counted" : "printed")\n".utf8))
        }

        /// `vtest-3 line_cross gate left_to_right person #12 frame 4410` (nil when filtered out or not an event).
        static func describe(_ bytes: [UInt8], type: String?, stream: String?) -> String? {
            guard let message = ZoneEventMessage.decode(bytes) else {
                return "invalid event message: \(String(decoding: bytes.prefix(120), as: UTF8.self))"
            }
            if let type, message.event != type { return nil }
            if let stream, message.stream != stream { return nil }
            var parts = [message.stream, message.event, message.name ?? "?"]
            if let direction = message.direction { parts.append(direction) }
            parts.append(message.class_name ?? "class \(message.class_id.map(String.init) ?? "?")")
            parts.append("#\(message.track_id)")
            if let duration = message.duration_s { parts.append(String(format: "after %.1f s", duration)) }
            parts.append("frame \(message.frame_id)")
            return parts.joined(separator: " ")
        }
    }
}

/// Event counts per stream, zone or line, event type, direction and class: the history an operator asks for
/// ("how many people crossed the gate between 02:00 and 03:00").
struct EventTally {
    private var counts: [String: Int] = [:]

    mutating func add(_ event: ZoneEventMessage) {
        let parts = [
            event.stream, event.name ?? "?", event.event, event.direction ?? "",
            event.class_name ?? "class \(event.class_id.map(String.init) ?? "?")",
        ]
        counts[parts.filter { !$0.isEmpty }.joined(separator: " "), default: 0] += 1
    }

    /// `vtest-1 gate line_cross left_to_right person: 12`, sorted (numbers in ids compare numerically).
    var lines: [String] {
        counts.sorted { $0.key.localizedStandardCompare($1.key) == .orderedAscending }.map { "\($0.key): \($0.value)" }
    }
}
