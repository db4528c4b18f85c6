import AnalyticsCore
import Logging
import Messages
import Synchronization
import VideoFrames

/// A destination of frame results (JSON lines, Kafka, the embedded dashboard).
///
/// `publish` is called on analysis worker threads, in frame order per stream, and must never block: a sink buffers
/// in a bounded queue of its own and counts what it has to drop.
public protocol ResultSink: Sendable {
    /// Short name for status lines and logs.
    var name: String { get }
    /// `withPreview`: the message carries the frame's preview (the stream's lane decided it is due); sinks that
    /// write no previews ignore it.
    func publish(_ result: FrameResult, frame: Frame, withPreview: Bool)
    /// Delivers what is buffered, waiting at most `seconds`, and releases resources. Blocking; call off the
    /// cooperative pool.
    func close(waitingAtMost seconds: Double)
    var counters: SinkCounters { get }
    /// Why the sink cannot deliver now, one line each (for `/readyz`, e.g. a Kafka cluster that does not answer).
    var problems: [String] { get }
    /// The sink's own entries of the pipeline's final summary line, beyond its counters.
    var summary: Logger.Metadata { get }
    /// Records the sink's own gauges (called about once a second with the pipeline's metrics).
    func sampleMetrics()
}

extension ResultSink {
    public var problems: [String] { [] }
    public var summary: Logger.Metadata { [:] }
    public func sampleMetrics() {}
}

/// Outcome counts of one sink. `accepted = written + failed + dropped + pending` at every moment.
public struct SinkCounters: Sendable, Equatable {
    public var accepted = 0
    public var written = 0
    public var failed = 0
    public var dropped = 0
    public var pending: Int { accepted - written - failed - dropped }

    public init(accepted: Int = 0, written: Int = 0, failed: Int = 0, dropped: Int = 0) {
        self.accepted = accepted
        self.written = written
        self.failed = failed
        self.dropped = dropped
    }
}

/// Publishes every result to several sinks.
public struct SinkFanout: ResultSink {
    public let sinks: [any ResultSink]

    public init(_ sinks: [any ResultSink]) {
        self.sinks = sinks
    }

    public var name: String { sinks.map(\.name).joined(separator: "+") }

    public func publish(_ result: FrameResult, frame: Frame, withPreview: Bool) {
        for sink in sinks { sink.publish(result, frame: frame, withPreview: withPreview) }
    }

    public func close(waitingAtMost seconds: Double) {
        for sink in sinks { sink.close(waitingAtMost: seconds) }
    }

    public var counters: SinkCounters {
        sinks.reduce(into: SinkCounters()) { total, sink in
            let counters = sink.counters
            total.accepted += counters.accepted
            total.written += counters.written
            total.failed += counters.failed
            total.dropped += counters.dropped
        }
    }
}

/// Counters for a sink that writes synchronously (every accepted result is written at once).
public final class SinkLedger: Sendable {
    private let written = Synchronization.Atomic<Int>(0)

    public init() {}

    public func countWritten() { written.add(1, ordering: .relaxed) }

    public var counters: SinkCounters {
        let count = written.load(ordering: .relaxed)
        return SinkCounters(accepted: count, written: count)
    }
}
