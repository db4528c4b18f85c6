import AnalyticsCore
import Foundation
import Logging
import Messages
import Metrics
import RuntimeSupport
import VideoFrames
import VideoIngest

/// Turns frames (of different streams) into their tracks. One instance per worker thread, so an implementation may
/// keep per-thread state (an inference request); it is only ever called from its own worker, with frames whose
/// lanes (trackers) that worker holds.
public protocol FrameAnalyzer: AnyObject {
    /// Frames one call takes at most (a detector's batch).
    var batchSize: Int { get }
    /// The tracks of each frame, in order.
    func analyze(_ frames: [TakenFrame]) -> [[Track]]
}

/// The analysis stage until a detector is configured: every frame passes through with no tracks.
public final class NoDetectionAnalyzer: FrameAnalyzer {
    public init() {}
    public var batchSize: Int { 1 }
    public func analyze(_ frames: [TakenFrame]) -> [[Track]] { frames.map { _ in [] } }
}

/// N worker threads that take frames from the scheduler, analyse them and publish the results.
/// Analysis is blocking CPU work (inference), so it runs on dedicated threads, never on the cooperative pool.
public final class AnalysisWorkers: Sendable {
    private let scheduler: FrameScheduler
    private let sink: any ResultSink
    public let count: Int

    public init(count: Int, scheduler: FrameScheduler, sink: any ResultSink) {
        self.count = count
        self.scheduler = scheduler
        self.sink = sink
    }

    /// Starts the threads (they end once the scheduler stops); `makeAnalyzer` runs once on each worker thread.
    public func start(
        makeAnalyzer: @escaping @Sendable (_ worker: Int) -> any FrameAnalyzer
    ) -> [DedicatedThread] {
        (0..<count).map { worker in
            DedicatedThreads.process.start(named: "analysis \(worker)") { [scheduler, sink] in
                let analyzer = makeAnalyzer(worker)
                // From capture to a worker taking the frame, and from capture to the result handed to the sinks.
                let queueWait = Timer(label: "pipeline_frame_queue_wait_seconds")
                let captureToPublish = Timer(label: "pipeline_capture_to_publish_seconds")
                while true {
                    let taken = scheduler.next(upTo: analyzer.batchSize)
                    if taken.isEmpty { break }
                    for item in taken {
                        queueWait.recordNanoseconds(
                            Int64(MonotonicClock.nowNanoseconds() &- item.frame.captureUptimeNs))
                    }
                    for (item, tracks) in zip(taken, analyzer.analyze(taken)) {
                        let frame = item.frame
                        var result = FrameResult(
                            streamID: frame.streamID, frameID: frame.index, runID: item.lane.runID,
                            instance: item.lane.instance,
                            timestampMs: frame.captureTimeMs,
                            width: frame.width, height: frame.height, tracks: tracks)
                        item.lane.applyZones(to: &result, frame: frame)
                        sink.publish(result, frame: frame, withPreview: item.lane.takesPreview(frame))
                        captureToPublish.recordNanoseconds(
                            Int64(MonotonicClock.nowNanoseconds() &- frame.captureUptimeNs))
                        scheduler.complete(item)
                    }
                }
            }
        }
    }
}
