import ArgumentParser
import CommandLineSupport
import Foundation
import Kafka
import Logging
import Messages
import RuntimeSupport

extension RealtimeAnalytics {
    /// Tails the topic and prints one compact line per message: a quick look at what the pipeline publishes. With
    /// `--since`/`--from` it reads the retained topic from that time instead (the bus as a record).
    struct Consume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Print the messages on kafka.topic compactly (stream, frame, tracks, preview size, latency), live or from a time (--since 10m, --from …)."
        )

        @OptionGroup var options: CommonOptions

        @Flag(help: "Start at the oldest message kept by the broker instead of the newest.")
        var fromBeginning = false

        @Option(help: "Stop after this many messages.")
        var maxMessages: Int?

        @Option(help: "Stop after this many seconds.")
        var seconds: Double?

        @Option(help: "Consumer group id (default: a new group, so every run sees every message).")
        var groupID: String?

        @OptionGroup var time: TimeWindowOptions

        @Option(help: "Only this stream's messages.")
        var stream: String?

        @Flag(help: "Print each message as it is on the topic, one per line (for jq); previews left out.")
        var json = false

        @Flag(help: "With --json: keep the frame_jpeg previews.")
        var previews = false

        func validate() throws {
            if previews && !json { throw ValidationError("--previews goes with --json") }
            try time.validate(fromBeginning: fromBeginning)
        }

        /// `value` without its `frame_jpeg` member (our producer's data URLs hold no quotes).
        static func withoutPreview(_ value: [UInt8]) -> [UInt8] {
            let marker = Array(#","frame_jpeg":""#.utf8)
            guard let start = value.firstRange(of: marker)?.lowerBound,
                let close = value[(start + marker.count)...].firstIndex(of: UInt8(ascii: "\""))
            else { return value }
            return Array(value[..<start]) + Array(value[(close + 1)...])
        }

        func run() async throws {
            let window = try time.window
            let tail = try TopicTail.open(
                options: options, name: "consume", groupID: groupID, fromBeginning: fromBeginning, seconds: seconds,
                start: window?.start ?? .group, topic: \.topic)
            var count = 0
            var invalid = 0
            var runs: [String: String] = [:]
            try await tail.read { message in
                if let stream, message.keyString != stream { return true }
                do {
                    let decoded = try FrameMessageDecoder.decode(message.value)
                    if let window, !window.contains(decoded.result.timestampMs) { return true }
                    if json {
                        FileHandle.standardOutput.write(
                            Data(previews ? message.value : Self.withoutPreview(message.value)) + Data([0x0A]))
                    } else {
                        if let line = Self.runChange(decoded, runs: &runs) { TopicTail.printLine(line) }
                        TopicTail.printLine(Self.describe(decoded))
                    }
                } catch {
                    invalid += 1
                    TopicTail.printLine(
                        "\(message.keyString ?? "-") invalid message at partition \(message.partition) offset \(message.offset): \(error)"
                    )
                }
                count += 1
                return maxMessages.map { count < $0 } ?? true
            }
            FileHandle.standardError.write(Data("consume: \(count) messages, \(invalid) invalid\n".utf8))
        }

        /// `vtest-1: run 20261205T033104.123Z-9f3c61a2` when a stream's first message or a new run (a pipeline
        /// restart: its frame and track ids start again) comes by; nil otherwise.
        static func runChange(_ decoded: DecodedFrameMessage, runs: inout [String: String]) -> String? {
            guard let run = decoded.result.runID else { return nil }
            let stream = decoded.result.streamID
            let previous = runs[stream]
            guard previous != run else { return nil }
            runs[stream] = run
            guard let previous else { return "\(stream): run \(run)" }
            return RunID.isNewer(run, than: previous)
                ? "\(stream): run \(run) (the pipeline restarted; run \(previous) before)"
                : "\(stream): run \(run) (a late message from an older run than \(previous))"
        }

        /// `vtest-1 #120 3 tracks [7 person 0.91, 2 car 0.88, …] preview 21.4 KB latency 45 ms`
        static func describe(_ decoded: DecodedFrameMessage) -> String {
            let result = decoded.result
            let tracks = result.tracks.prefix(4).map { track in
                let name = track.className ?? "class \(track.classID)"
                return String(format: "%d %@ %.2f", track.trackID, name, track.confidence)
            }
            let more = result.tracks.count > 4 ? ", …" : ""
            var line =
                "\(result.streamID) #\(result.frameID) \(result.tracks.count) tracks [\(tracks.joined(separator: ", "))\(more)]"
            if let jpeg = decoded.frameJPEG {
                line += String(format: " preview %.1f KB", Double(jpeg.utf8.count) / 1024)
            }
            if result.timestampMs > 0 {
                line += " latency \(ServiceClock.system.wallMilliseconds - result.timestampMs) ms"
            }
            return line
        }
    }
}
