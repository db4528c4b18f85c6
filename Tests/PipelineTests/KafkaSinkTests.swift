import AnalyticsCore
import Foundation
import Kafka
import Logging
import Messages
import Synchronization
import Testing
import Tracking
import VideoFrames
import Zones

@testable import Pipeline

/// A producer whose every outcome the test scripts; it keeps what was queued and counts like the real one
/// (queued messages are delivered at once).
private final class ScriptedProducer: MessageProducer {
    struct Sent {
        var topic: String
        var key: String
        var value: [UInt8]
        var headers: [String: String]
    }

    let bootstrapServers = "scripted:9092"
    let maximumMessageBytes = 1_000_000
    var brokerStatus: BrokerProbe.Status { .reachable }
    private let script: @Sendable (_ topic: String, _ value: [UInt8]) -> ProduceOutcome
    private let state = Mutex<(sent: [Sent], counters: DeliveryCounters)>(([], DeliveryCounters()))

    init(_ script: @escaping @Sendable (_ topic: String, _ value: [UInt8]) -> ProduceOutcome = { _, _ in .queued }) {
        self.script = script
    }

    var sent: [Sent] { state.withLock { $0.sent } }
    var counters: DeliveryCounters { state.withLock { $0.counters } }

    func produce(
        topic: String, key: String, value: UnsafeRawBufferPointer, headers: [(name: String, value: String)],
        tag: UInt64
    ) -> ProduceOutcome {
        let bytes = Array(value)
        let outcome = script(topic, bytes)
        guard outcome == .queued else { return outcome }
        state.withLock {
            $0.sent.append(
                Sent(
                    topic: topic, key: key, value: bytes,
                    headers: Dictionary(headers.map { ($0.name, $0.value) }) { a, _ in a }))
            $0.counters.produced += 1
            $0.counters.delivered += 1
        }
        return .queued
    }

    func recordDropped(_ reason: DropReason) {
        state.withLock {
            $0.counters.produced += 1
            $0.counters.dropped[reason, default: 0] += 1
        }
    }

    func flush(waitingAtMost seconds: Double) -> Bool { true }
    func close(waitingAtMost seconds: Double) {}
    func topicStatus(_ topic: String, waitingAtMost seconds: Double) -> TopicStatus { .exists(partitions: 1) }
}

private func shot(_ index: Int64) -> Frame {
    Frame(
        streamIndex: 0, streamID: "cam-0", index: index, captureTimeMs: 1_000, captureUptimeNs: 1_000_000,
        ptsSeconds: nil, pixels: PixelBuffer(width: 64, height: 48))
}

private func result(_ index: Int64, events: [ZoneEvent] = []) -> FrameResult {
    var result = FrameResult(
        streamID: "cam-0", frameID: index, runID: "run-1", timestampMs: 1_000, width: 64, height: 48,
        tracks: [Track(trackID: 3, classID: 0, className: "person", confidence: 0.9, x1: 4, y1: 4, x2: 30, y2: 40)])
    result.events = events
    return result
}

private func sink(_ producer: ScriptedProducer) -> KafkaSink {
    var configuration = Configuration()
    configuration.streams = [StreamConfiguration(id: "cam-0", source: .file(path: "x.mp4"))]
    configuration.kafka.includeFrames = true
    configuration.kafka.topic = "frames"
    configuration.kafka.eventsTopic = "events"
    return KafkaSink(configuration: configuration, producer: producer, logger: Logger(label: "test"))
}

@Suite("Kafka sink in process (scripted producer)", .timeLimit(.minutes(1)))
struct KafkaSinkTests {
    @Test(
        "a frame with its preview and its events: one frame message keyed by stream with the headers, one message per event on the events topic"
    )
    func framesAndEvents() throws {
        let producer = ScriptedProducer()
        let kafka = sink(producer)
        let crossing = ZoneEvent(
            kind: .lineCross, name: "gate", trackID: 3, classID: 0, className: "person",
            box: Box(x1: 4, y1: 4, x2: 30, y2: 40), direction: .leftToRight, durationSeconds: nil)
        kafka.publish(result(7, events: [crossing]), frame: shot(7), withPreview: true)
        let sent = producer.sent
        #expect(sent.map(\.topic) == ["frames", "events"] && sent.allSatisfy { $0.key == "cam-0" })
        #expect(sent[0].headers == ["content-type": "application/json", "schema-version": "2"])
        let frame = try FrameMessageDecoder.decode(sent[0].value)
        #expect(frame.frameJPEG?.hasPrefix("data:image/jpeg;base64,") == true && frame.result.runID == "run-1")
        let event = try #require(try JSONSerialization.jsonObject(with: Data(sent[1].value)) as? [String: Any])
        #expect(event["event"] as? String == "line_cross" && event["direction"] as? String == "left_to_right")
        #expect(event["run_id"] as? String == "run-1" && event["frame_id"] as? Int == 7)
        #expect(kafka.counters == SinkCounters(accepted: 2, written: 2))
        #expect(kafka.previewCounters.attached == 1)
    }

    @Test(
        "a full queue: the message goes again without its preview; when even that does not fit it is dropped and counted"
    )
    func queueFull() throws {
        // Refuse every message that carries a preview: the second try, without it, is queued.
        let previewsRefused = ScriptedProducer { _, value in
            value.firstRange(of: Array("frame_jpeg".utf8)) != nil ? .queueFull : .queued
        }
        let kafka = sink(previewsRefused)
        kafka.publish(result(1), frame: shot(1), withPreview: true)
        #expect(previewsRefused.sent.count == 1)
        #expect(try FrameMessageDecoder.decode(previewsRefused.sent[0].value).frameJPEG == nil)
        #expect(kafka.previewCounters.droppedQueueFull == 1 && kafka.previewCounters.attached == 0)
        #expect(kafka.counters == SinkCounters(accepted: 1, written: 1))

        // Refuse everything: dropped, by reason, and the accounting still adds up.
        let full = ScriptedProducer { _, _ in .queueFull }
        let refusing = sink(full)
        refusing.publish(result(1), frame: shot(1), withPreview: true)
        refusing.publish(result(2), frame: shot(2), withPreview: false)
        #expect(full.sent.isEmpty)
        #expect(full.counters.dropped == [.queueFull: 2])
        #expect(refusing.counters == SinkCounters(accepted: 2, dropped: 2))
    }

    @Test("too large and other produce errors are dropped with their reason, never lost from the accounting")
    func otherOutcomes() {
        for (outcome, reason) in [(ProduceOutcome.tooLarge, DropReason.tooLarge), (.failed("fenced"), .other)] {
            let producer = ScriptedProducer { _, _ in outcome }
            let kafka = sink(producer)
            kafka.publish(result(1), frame: shot(1), withPreview: false)
            #expect(producer.counters.dropped == [reason: 1], "\(outcome)")
            let counters = kafka.counters
            #expect(counters.accepted == 1 && counters.dropped == 1 && counters.written == 0, "\(outcome)")
        }
    }
}
