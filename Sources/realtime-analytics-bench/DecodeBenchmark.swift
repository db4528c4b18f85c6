import AnalyticsCore
import ArgumentParser
import Foundation
import Kafka
import Logging
import Messages
import RuntimeSupport
import Synchronization
import VideoFrames
import VideoIngest

@main
struct RealtimeAnalyticsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "realtime-analytics-bench",
        abstract: "Benchmarks (not tests): prints throughput figures of the project's own components.",
        version: "\(ProductVersion.description), librdkafka \(KafkaLibrary.version)",
        subcommands: [Decode.self, Messages.self, TrackerUpdate.self, DetectorThroughput.self, LiveFidelityScore.self])
}

/// Counts frames as fast as the reader delivers them (lossless file mode: every frame, no pacing).
final class CountingDelivery: FrameDelivery, Sendable {
    private let state = Mutex<(count: Int, first: UInt64, last: UInt64)>((0, 0, 0))

    func deliverNewest(_ frame: Frame) { count() }

    func deliverWaiting(_ frame: Frame, control: ReaderControl) -> Bool {
        count()
        return true
    }

    private func count() {
        let now = MonotonicClock.nowNanoseconds()
        state.withLock { state in
            if state.count == 0 { state.first = now }
            state.count += 1
            state.last = now
        }
    }

    var figures: (frames: Int, seconds: Double) {
        state.withLock { ($0.count, Double($0.last - $0.first) / 1e9) }
    }
}

struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Decode one file on one reader thread as fast as possible, as the pipeline's readers do (pictures as decoded, the motion meter on each); print frames/s."
    )

    @Option(help: "Video file to decode.") var file: String
    @Option(help: "Working width.") var width = 640
    @Option(help: "Working height (0 keeps the aspect ratio).") var height = 0
    @Option(help: "Parallel readers of the same file (one thread each).") var streams = 1
    @Option(help: "Decoder threads per stream.") var decoderThreads = 1

    func run() throws {
        let logger = Logger(label: "bench")
        let settings = IngestSettings(width: width, height: height, decoderThreads: decoderThreads)
        let done = Mutex<Int>(0)
        let deliveries = (0..<streams).map { _ in CountingDelivery() }
        let started = MonotonicClock.nowNanoseconds()
        let readers = (0..<streams).map { index in
            StreamReader(
                stream: StreamConfiguration(id: "bench-\(index)", source: .file(path: file), realtime: false),
                streamIndex: 0, settings: settings, delivery: deliveries[index], logger: logger)
        }
        for reader in readers { reader.start(onExit: { done.withLock { $0 += 1 } }) }
        while done.withLock({ $0 }) < streams { usleep(10_000) }
        let wall = Double(MonotonicClock.nowNanoseconds() - started) / 1e9
        let frames = deliveries.reduce(0) { $0 + $1.figures.frames }
        guard frames > 0 else {
            throw ValidationError("no frames decoded from \(file): \(readers[0].health.lastError ?? "unknown error")")
        }
        let perStream = deliveries.map { Double($0.figures.frames) / max($0.figures.seconds, 1e-9) }
        print(
            String(
                format:
                    "decode (working size %dx%@), %d stream(s), %d decoder thread(s): %d frames in %.2f s = %.0f frames/s total (%.0f per stream)",
                width, height == 0 ? "auto" : String(height), streams, decoderThreads, frames, wall,
                Double(frames) / wall, perStream.reduce(0, +) / Double(streams)))
    }
}
