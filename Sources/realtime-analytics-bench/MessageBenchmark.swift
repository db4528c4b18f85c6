import AnalyticsCore
import ArgumentParser
import Foundation
import Kafka
import Logging
import Messages
import Pipeline
import Preview
import RuntimeSupport
import VideoFrames
import VideoIngest

/// The same message through Foundation's JSONEncoder, for comparison.
private struct CodableMessage: Encodable {
    struct CodableTrack: Encodable {
        var track_id: Int
        var class_id: Int
        var class_name: String?
        var confidence: Float
        var bbox_xyxy: [Float]
    }

    var stream: String
    var frame_id: Int64
    var timestamp_ms: Int64
    var width: Int
    var height: Int
    var schema_version: Int
    var tracks: [CodableTrack]
}

struct Messages: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Message figures: JSON encode rate (JSONEncoder vs ours), encode+produce through a real broker, preview rate."
    )

    @Option(help: "Kafka bootstrap servers of a running broker (scripts/broker.sh start PORT).")
    var bootstrapServers: String

    @Option(help: "A video file whose first frame is used for previews.")
    var file: String

    @Option(help: "Messages per produce run.") var count = 20_000

    func run() throws {
        let result = Self.sampleResult(tracks: 20)
        // 1. Encoding.
        var encoder = FrameMessageEncoder()
        let encodeRuns = 200_000
        var bytes = 0
        let ours = measure {
            for index in 0..<encodeRuns {
                var copy = result
                copy.frameID = Int64(index)
                bytes &+= encoder.encode(copy).count
            }
        }
        let codable = CodableMessage(
            stream: result.streamID, frame_id: result.frameID, timestamp_ms: result.timestampMs, width: result.width,
            height: result.height, schema_version: FrameMessageEncoder.schemaVersion,
            tracks: result.tracks.map {
                .init(
                    track_id: $0.trackID, class_id: $0.classID, class_name: $0.className, confidence: $0.confidence,
                    bbox_xyxy: [$0.x1, $0.y1, $0.x2, $0.y2])
            })
        let jsonEncoder = JSONEncoder()
        let foundationRuns = 20_000
        let foundation = measure {
            for _ in 0..<foundationRuns { bytes &+= (try? jsonEncoder.encode(codable))?.count ?? 0 }
        }
        print(
            String(
                format:
                    "encode, 20 tracks (%d bytes): FrameMessageEncoder %.0f msgs/s, Foundation JSONEncoder %.0f msgs/s (%.1fx)",
                encoder.encode(result).count, Double(encodeRuns) / ours, Double(foundationRuns) / foundation,
                (Double(encodeRuns) / ours) / (Double(foundationRuns) / foundation)))

        // 2. Previews: render (boxes, labels) + JPEG + base64 into the message.
        let frame = try BenchFrames.frame(0, of: file, width: 640)
        let renderer = try PreviewRenderer()
        let previewRuns = 500
        var previewBytes = 0
        let previewTime = try measure {
            for _ in 0..<previewRuns {
                let jpeg = try renderer.render(frame, tracks: result.tracks, maxWidth: 640, quality: 75)
                previewBytes = encoder.encode(result, jpeg: jpeg).count
            }
        }
        print(
            String(
                format: "preview render + JPEG q75 + base64, %dx%d, 20 tracks: %.0f frames/s (message %.1f KB)",
                frame.width, frame.height, Double(previewRuns) / previewTime, Double(previewBytes) / 1024))
        let rawJPEG = try RawBaselines.turboJPEGRate(frame, quality: 75, runs: previewRuns)
        print(
            String(
                format: "raw TurboJPEG encode of the same frame, q75: %.0f frames/s (preview / raw = %.2f)",
                rawJPEG, (Double(previewRuns) / previewTime) / rawJPEG))

        // 3. Encode + produce through the broker, until every message is acknowledged.
        for previews in [false, true] {
            let runCount = previews ? min(count, 3000) : count
            let figures = try produceRun(previews: previews, count: runCount, frame: frame, result: result)
            print(
                String(
                    format: "encode + produce + delivery, %@: %.0f msgs/s (%d delivered, %d failed, %d dropped)",
                    previews ? "with previews" : "metadata only", figures.rate, figures.counters.delivered,
                    figures.counters.failed, figures.counters.droppedTotal))
            // The same payload through a bare librdkafka producer on the same broker.
            let jpeg = previews ? try renderer.render(frame, tracks: result.tracks, maxWidth: 640, quality: 75) : nil
            let payload = Array(encoder.encode(result, jpeg: jpeg))
            let raw = try RawBaselines.librdkafkaRate(
                bootstrapServers: bootstrapServers, topic: "bench.raw.\(UUID().uuidString.prefix(6))", payload: payload,
                count: runCount)
            print(
                String(
                    format: "raw librdkafka producer, same %d-byte payload: %.0f msgs/s (ours / raw = %.2f)",
                    payload.count, raw, figures.rate / raw))
        }
    }

    private func produceRun(
        previews: Bool, count: Int, frame: Frame, result: FrameResult
    ) throws
        -> (rate: Double, counters: DeliveryCounters)
    {
        var configuration = Configuration()
        configuration.kafka.enabled = true
        configuration.kafka.bootstrapServers = bootstrapServers
        configuration.kafka.topic = "bench.\(previews ? "previews" : "metadata").\(UUID().uuidString.prefix(6))"
        configuration.kafka.includeFrames = previews
        configuration.streams = [StreamConfiguration(id: result.streamID, source: .file(path: file))]
        let sink = try KafkaSink(configuration: configuration, logger: Logger(label: "bench"))
        // Warm up (topic creation, connection), not timed.
        sink.publish(result, frame: frame, withPreview: previews)
        _ = sink.producer.flush(waitingAtMost: 10)
        let start = ServiceClock.system.now
        for index in 0..<count {
            var copy = result
            copy.frameID = Int64(index + 1)
            sink.publish(copy, frame: frame, withPreview: previews)
        }
        _ = sink.producer.flush(waitingAtMost: 120)
        let seconds = start.duration(to: ServiceClock.system.now).seconds
        let counters = sink.producer.counters
        sink.close(waitingAtMost: 5)
        return (Double(counters.delivered - 1) / seconds, counters)
    }

    static func sampleResult(tracks: Int) -> FrameResult {
        FrameResult(
            streamID: "camera-1", frameID: 12345, timestampMs: 1_764_000_000_123, width: 640, height: 480,
            tracks: (0..<tracks).map { index in
                let x = Float(index % 5) * 120 + 10.5, y = Float(index / 5) * 110 + 5.25
                return Track(
                    trackID: index + 1, classID: index % 3 == 0 ? 2 : 0, className: index % 3 == 0 ? "car" : "person",
                    confidence: 0.5 + Float(index) / 50, x1: x, y1: y, x2: x + 80.75, y2: y + 100.125)
            })
    }
}

/// Seconds `body` takes.
func measure(_ body: () throws -> Void) rethrows -> Double {
    let start = MonotonicClock.nowNanoseconds()
    try body()
    return Double(MonotonicClock.nowNanoseconds() - start) / 1e9
}
