import AnalyticsCore
import ArchiveStore
import ArgumentParser
import CommandLineSupport
import Foundation
import Messages

extension RealtimeAnalytics {
    /// BI from the archive: counts per zone/line, event, direction and class per hour or day.
    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print event counts per zone/line, direction and class over a window, from the archive.",
            discussion: """
                Reads archive.url (written by `realtime-analytics archive`), never Kafka. Buckets start at whole \
                hours or days (UTC); a bucket counts the minutes of the window that fall in it. docs/archive.md has \
                the same query as SQL.
                """)

        @OptionGroup var options: CommonOptions

        @Option(help: "Count from this long ago: 90m, 2h, 7d.")
        var since: String?

        @Option(help: "Count from this time: 2026-12-04T02:00:00Z (instead of --since).")
        var from: String?

        @Option(help: "Count minutes before this time only: 2026-12-04T03:00:00Z.")
        var until: String?

        @Option(help: "Bucket size: minute, hour or day.")
        var by: String = "hour"

        @Option(help: "Only this stream.")
        var stream: String?

        @Flag(help: "Comma-separated values with a header line.")
        var csv = false

        @Flag(help: "One JSON document: the window and the rows.")
        var json = false

        func validate() throws {
            guard ReportBucket(rawValue: by) != nil else {
                throw ValidationError("--by \(by) is not a bucket; use minute, hour or day")
            }
            if csv && json { throw ValidationError("--csv and --json exclude each other; pick one") }
            if since == nil && from == nil {
                throw ValidationError("give the window's start: --since 7d or --from TIME")
            }
            _ = try TimeWindow.make(since: since, from: from, until: until)
        }

        func run() async throws {
            let (_, location) = try ArchiveConfigurationLoader.load(options.config)
            guard let window = try TimeWindow.make(since: since, from: from, until: until),
                let bucket = ReportBucket(rawValue: by)
            else { throw ExitCode(2) }
            let reader = ArchiveReader(location: location)
            let rows: [EventCount]
            do {
                rows = try await reader.eventCounts(
                    by: bucket, fromMs: window.from, untilMs: window.until, stream: stream)
            } catch {
                FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
                throw ExitCode(1)
            }
            let sorted = rows.sorted {
                ($0.bucketMs, $0.stream, $0.kind, $0.name, $0.event, $0.direction + "\u{0}" + $0.className)
                    < ($1.bucketMs, $1.stream, $1.kind, $1.name, $1.event, $1.direction + "\u{0}" + $1.className)
            }
            if json {
                TopicTail.printLine(Self.json(sorted, window: window, bucket: bucket))
            } else if csv {
                TopicTail.printLine("bucket_start,stream,kind,name,event,direction,class,count")
                for row in sorted {
                    let fields = [
                        CaptureTime.iso8601(row.bucketMs), row.stream, row.kind, row.name, row.event, row.direction,
                        row.className, String(row.count),
                    ]
                    TopicTail.printLine(fields.map(Self.csvField).joined(separator: ","))
                }
            } else {
                for line in Self.table(sorted) { TopicTail.printLine(line) }
            }
            FileHandle.standardError.write(
                Data(
                    "report: \(sorted.count) rows, \(sorted.reduce(0) { $0 + $1.count }) events from \(CaptureTime.iso8601(window.from))\(window.until.map { " to \(CaptureTime.iso8601($0))" } ?? "") by \(bucket.rawValue), \(location)\n"
                        .utf8))
        }

        static func csvField(_ text: String) -> String {
            guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return text }
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }

        static func json(_ rows: [EventCount], window: TimeWindow, bucket: ReportBucket) -> String {
            struct Document: Encodable {
                var from_ms: Int64
                var until_ms: Int64?
                var by: String
                var rows: [EventCount]
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let data =
                (try? encoder.encode(
                    Document(from_ms: window.from, until_ms: window.until, by: bucket.rawValue, rows: rows))) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }

        /// Aligned columns for a terminal.
        static func table(_ rows: [EventCount]) -> [String] {
            let header = ["bucket (UTC)", "stream", "zone/line", "event", "direction", "class", "count"]
            let cells = rows.map {
                [
                    CaptureTime.iso8601($0.bucketMs), $0.stream, $0.name, $0.event, $0.direction, $0.className,
                    String($0.count),
                ]
            }
            let widths = header.indices.map { column in
                ([header] + cells).map { $0[column].count }.max() ?? 0
            }
            return ([header] + cells).map { row in
                row.enumerated().map { column, text in
                    column == row.count - 1
                        ? String(repeating: " ", count: widths[column] - text.count) + text
                        : text.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                }.joined(separator: "  ")
            }
        }
    }
}
