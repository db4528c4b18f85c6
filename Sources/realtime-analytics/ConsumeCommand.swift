import AnalyticsCore
import ArgumentParser
import CommandLineSupport
import Dashboard
import Foundation
import Kafka
import Logging
import Pipeline

extension RealtimeAnalytics {
    /// Tails the topic and prints one compact line per message: a quick look at what the pipeline publishes.
    struct Consume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the messages on kafka.topic compactly (stream, frame, tracks, preview size, latency).")

        @OptionGroup var options: CommonOptions

        @Flag(help: "Start at the oldest message kept by the broker instead of the newest.")
        var fromBeginning = false

        @Option(help: "Stop after this many messages.")
        var maxMessages: Int?

        @Option(help: "Stop after this many seconds.")
        var seconds: Double?

        @Option(help: "Consumer group id (default: a new group, so every run sees every message).")
        var groupID: String?

        func run() async throws {
            let configuration: Configuration
            do {
                configuration = try Configuration.load(path: options.config)
            } catch {
                ConfigurationExit.exit(error)
            }
            options.bootstrapLogging()
            let logger = Logger(label: "realtime-analytics-consume")
            let kafka = configuration.kafka
            let properties = kafka.consumerProperties(
                groupID: groupID ?? "realtime-analytics-consume-\(UUID().uuidString.prefix(8))",
                startAtNewest: !fromBeginning)
            let consumer = try KafkaConsumer(properties: properties, topics: [kafka.topic], logger: logger)
            FileHandle.standardError.write(
                Data("consume: \(kafka.topic) on \(kafka.bootstrapServers) (Ctrl-C stops)\n".utf8))

            let deadline = seconds.map { Date(timeIntervalSinceNow: $0) }
            let timer = Task {
                if let seconds {
                    try? await Task.sleep(for: .seconds(seconds))
                    await runOnDedicatedThread(named: "kafka consumer close") { consumer.close() }
                }
            }
            defer { timer.cancel() }
            var count = 0
            var invalid = 0
            var runs: [String: String] = [:]
            for try await message in consumer.messages {
                do {
                    let decoded = try FrameMessageDecoder.decode(message.value)
                    if let line = Self.runChange(decoded, runs: &runs) { Self.printLine(line) }
                    Self.printLine(Self.describe(decoded))
                } catch {
                    invalid += 1
                    Self.printLine(
                        "\(message.keyString ?? "-") invalid message at partition \(message.partition) offset \(message.offset): \(error)"
                    )
                }
                count += 1
                if let maxMessages, count >= maxMessages { break }
                if let deadline, Date() >= deadline { break }
            }
            await runOnDedicatedThread(named: "kafka consumer close") { consumer.close() }
            FileHandle.standardError.write(Data("consume: \(count) messages, \(invalid) invalid\n".utf8))
        }

        /// One line straight to stdout (one write, no buffer): `consume | grep …` shows lines as they come.
        static func printLine(_ line: String) {
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
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
                line += " latency \(Int64(Date().timeIntervalSince1970 * 1000) - result.timestampMs) ms"
            }
            return line
        }
    }
}
