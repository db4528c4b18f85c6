import AnalyticsCore
import Detection
import Foundation
import Logging
import Messages
import Metrics
import RuntimeSupport
import Synchronization
import Tracking
import VideoFrames
import VideoIngest

/// The analysis stage the configuration asks for: with `model.path`, the detector (compiled once, one warmed-up infer
/// request per worker, made here before any worker starts) followed by each stream's tracker (in its lane); without
/// it, frames pass through with no tracks.
public final class AnalysisStage: Sendable {
    public let workerCount: Int
    public let model: DetectorModel?
    private let detectors: Mutex<[ObjectDetectorHandle]>
    private let labels: [String]
    private let logger: Logger

    /// Worker threads for `configuration`: `pipeline.detector_workers`, or one per core.
    public static func workerCount(_ configuration: Configuration) -> Int {
        configuration.pipeline.detectorWorkers > 0
            ? configuration.pipeline.detectorWorkers : ProcessInfo.processInfo.activeProcessorCount
    }

    /// Compiles the model and prepares every worker's detector. Blocking (seconds); call before the pipeline starts.
    /// Throws a one-line reason (missing or unreadable model, unsupported output layout, device error).
    public init(configuration: Configuration, logger: Logger) throws {
        workerCount = Self.workerCount(configuration)
        labels = configuration.model.labels
        self.logger = logger
        guard configuration.model.path != nil else {
            model = nil
            detectors = Mutex([])
            return
        }
        let model = try DetectorModel(configuration: configuration.model, workers: workerCount)
        self.model = model
        // Sequentially, before the workers run: each request's first inference happens here.
        detectors = Mutex(try (0..<workerCount).map { _ in ObjectDetectorHandle(try model.makeDetector()) })
    }

    /// The analyzer for worker `index` (called once on that worker's thread).
    @Sendable public func makeAnalyzer(_ index: Int) -> any FrameAnalyzer {
        guard model != nil, let detector = detectors.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else {
            return NoDetectionAnalyzer()
        }
        return DetectionAnalyzer(detector: detector.detector, labels: labels, logger: logger)
    }
}

/// Hands a worker's detector from the thread that made it to the worker thread, once.
struct ObjectDetectorHandle: @unchecked Sendable {
    let detector: ObjectDetector
    init(_ detector: ObjectDetector) { self.detector = detector }
}

/// Detection then tracking (each frame's lane holds its stream's tracker) for one worker thread.
final class DetectionAnalyzer: FrameAnalyzer {
    private let detector: ObjectDetector
    private let labels: [String]
    private let logger: Logger
    private let failures = LogThrottle()
    private let detectorTime = Timer(label: "pipeline_detector_seconds")
    private let trackerTime = Timer(label: "pipeline_tracker_seconds")

    init(detector: ObjectDetector, labels: [String], logger: Logger) {
        self.detector = detector
        self.labels = labels
        self.logger = logger
    }

    var batchSize: Int { detector.batchSize }

    func analyze(_ taken: [TakenFrame]) -> [[Track]] {
        let detections: [[Detection]]
        let frames = taken.map(\.frame)
        let started = MonotonicClock.nowNanoseconds()
        do {
            detections = try detector.detect(frames)
            detectorTime.recordNanoseconds(Int64(MonotonicClock.nowNanoseconds() - started))
        } catch {
            // Published without tracks rather than dropped.
            failures.record(
                logger, .error, "detection failed on \(frames[0].streamID) frame \(frames[0].index): \(error)")
            return frames.map { _ in [] }
        }
        return zip(taken, detections).map { item, detections in tracks(item, detections) }
    }

    /// The published tracks of one frame's detections (the stream's tracker, or raw detections without one).
    private func tracks(_ item: TakenFrame, _ detections: [Detection]) -> [Track] {
        let frame = item.frame
        guard let tracker = item.lane.tracker else {
            return detections.map { detection in
                Track(
                    trackID: -1, classID: detection.classID, className: label(detection.classID),
                    confidence: detection.confidence, box: detection.box)
            }
        }
        let trackingStarted = MonotonicClock.nowNanoseconds()
        let inputs = detections.map { detection in
            ByteTracker.Detection(box: detection.box, score: Double(detection.confidence), classID: detection.classID)
        }
        let outputs = tracker.update(detections: inputs, time: item.lane.trackingTime(of: frame))
        trackerTime.recordNanoseconds(Int64(MonotonicClock.nowNanoseconds() - trackingStarted))
        let width = Double(frame.width), height = Double(frame.height)
        return outputs.map { output in
            // The filtered box can drift past the frame edge; clip it as the detector clips its boxes.
            Track(
                trackID: output.trackID, classID: output.classID, className: label(output.classID),
                confidence: Float(output.confidence), box: output.box.clipped(width: width, height: height))
        }
    }

    private func label(_ classID: Int) -> String? {
        classID >= 0 && classID < labels.count ? labels[classID] : nil
    }
}
