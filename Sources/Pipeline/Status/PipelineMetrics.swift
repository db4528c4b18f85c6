import Foundation
import Kafka
import Messages
import Metrics
import VideoIngest

/// Samples the pipeline's counters into swift-metrics (exported by Prometheus at /metrics) once a second: per stream
/// frames decoded, not analysed (dropped from the mailbox) and analysed, state and reconnects; per output the
/// delivery accounting; Kafka's local queue; the process's resident memory. Every metric handle is made once, here. Timings (detector, queue wait,
/// tracker, capture to publish) are recorded where they happen, as histograms.
final class PipelineMetrics {
    private struct StreamHandles {
        let decoded: Counter
        let dropped: Counter
        let analysed: Counter
        let reconnects: Counter
        let states: [StreamState: Gauge]
    }

    private struct SinkHandles {
        let sink: any ResultSink
        /// Produced, written, failed, dropped, pending.
        let outcomes: [Gauge]
    }

    private let streams: [StreamHandles]
    private let sinks: [SinkHandles]
    private var previous: [FrameScheduler.Counters]
    private var previousReconnects: [Int]
    /// Which reader the reconnect count above belongs to (a stream that starts again has a new reader).
    private var previousReaders: [ObjectIdentifier?]
    private let residentBytes = Gauge(label: "process_resident_memory_bytes")

    init(streamIDs: [String], sinks: [any ResultSink]) {
        self.sinks = sinks.map { sink in
            SinkHandles(
                sink: sink,
                outcomes: ["produced", "written", "failed", "dropped", "pending"].map { outcome in
                    Gauge(label: "pipeline_output_messages", dimensions: [("output", sink.name), ("outcome", outcome)])
                })
        }
        streams = streamIDs.map { id in
            let dimensions = [("stream", id)]
            return StreamHandles(
                decoded: Counter(label: "pipeline_frames_decoded_total", dimensions: dimensions),
                dropped: Counter(label: "pipeline_frames_not_analysed_total", dimensions: dimensions),
                analysed: Counter(label: "pipeline_frames_analysed_total", dimensions: dimensions),
                reconnects: Counter(label: "pipeline_stream_reconnects_total", dimensions: dimensions),
                states: Dictionary(
                    uniqueKeysWithValues: StreamState.allCases.map { state in
                        (
                            state,
                            Gauge(
                                label: "pipeline_stream_state", dimensions: dimensions + [("state", state.description)])
                        )
                    }))
        }
        previous = streamIDs.map { _ in FrameScheduler.Counters(delivered: 0, dropped: 0, completed: 0) }
        previousReconnects = streamIDs.map { _ in 0 }
        previousReaders = streamIDs.map { _ in nil }
    }

    /// `readers[i]` is stream i's reader, nil where the stream does not run here (fleet mode).
    func sample(readers: [StreamReader?], scheduler: FrameScheduler) {
        let counters = scheduler.counters()
        for (index, handles) in streams.enumerated() where index < counters.count {
            let now = counters[index], before = previous[index]
            handles.decoded.increment(by: Int64(max(0, now.delivered - before.delivered)))
            handles.dropped.increment(by: Int64(max(0, now.dropped - before.dropped)))
            handles.analysed.increment(by: Int64(max(0, now.completed - before.completed)))
            guard index < readers.count, let reader = readers[index] else {
                for (_, gauge) in handles.states { gauge.record(0) }
                continue
            }
            if previousReaders[index] != ObjectIdentifier(reader) {
                previousReaders[index] = ObjectIdentifier(reader)
                previousReconnects[index] = 0
            }
            let reconnects = reader.health.reconnects
            handles.reconnects.increment(by: Int64(max(0, reconnects - previousReconnects[index])))
            previousReconnects[index] = reconnects
            let state = reader.health.state
            for (candidate, gauge) in handles.states { gauge.record(candidate == state ? 1 : 0) }
        }
        previous = counters
        for handles in sinks {
            let counters = handles.sink.counters
            let values = [counters.accepted, counters.written, counters.failed, counters.dropped, counters.pending]
            for (gauge, value) in zip(handles.outcomes, values) { gauge.record(value) }
            handles.sink.sampleMetrics()
        }
        residentBytes.record(Self.residentMemoryBytes())
    }

    /// VmRSS of this process, from /proc/self/statm (pages).
    static func residentMemoryBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
