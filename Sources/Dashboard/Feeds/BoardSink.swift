import AnalyticsCore
import Pipeline

/// Embedded mode: the pipeline's results go straight to the board, no Kafka needed. Messages are composed exactly
/// as for Kafka (same JSON, same previews), so the page cannot tell the difference.
public final class BoardSink: ResultSink {
    public let name = "dashboard"
    private let publisher: BoardPublisher
    public let composer: MessageComposer
    private let ledger = SinkLedger()

    public init(configuration: Configuration, publisher: BoardPublisher) {
        self.publisher = publisher
        composer = MessageComposer(configuration: configuration, maximumMessageBytes: 1_000_000, logger: publisher.logger)
    }

    public func publish(_ result: FrameResult, frame: Frame) {
        composer.compose(result, frame: frame) { draft in
            draft.withBytes { publisher.ingest($0, origin: "the pipeline") }
            if draft.hasPreview { composer.recordPreviewSent() }
        }
        ledger.countWritten()
    }

    public func close(waitingAtMost seconds: Double) {}

    public var counters: SinkCounters { ledger.counters }
}
