import AnalyticsCore
import Dashboard
import Messages
import Pipeline
import VideoFrames

/// Embedded mode: the pipeline's results go straight to the board as typed values, no Kafka and no JSON in between.
/// Previews are rendered with the same throttle and renderer as for Kafka, so the page cannot tell the difference.
final class EmbeddedBoardSink: ResultSink {
    let name = "dashboard"
    private let publisher: BoardPublisher
    private let composer: MessageComposer
    private let ledger = SinkLedger()

    init(configuration: Configuration, publisher: BoardPublisher) {
        self.publisher = publisher
        composer = MessageComposer(
            configuration: configuration, maximumMessageBytes: 1_000_000, logger: publisher.logger)
    }

    func publish(_ result: FrameResult, frame: Frame, withPreview: Bool) {
        let preview = withPreview ? composer.previewDataURL(frame: frame, tracks: result.tracks) : nil
        publisher.ingest(
            DecodedFrameMessage(
                result: result, frameJPEG: preview, schemaVersion: FrameMessageEncoder.schemaVersion),
            events: result.events)
        if preview != nil { composer.recordPreviewSent() }
        ledger.countWritten()
    }

    func close(waitingAtMost seconds: Double) {}

    var counters: SinkCounters { ledger.counters }
}
