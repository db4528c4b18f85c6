import AnalyticsCore
import Messages
import Tracking
import VideoFrames
import Zones

/// What one stream owns on the analysis side: the run its results belong to, its tracker and the clock it runs on,
/// its zone counter, and its preview throttle. A stream that starts again (fleet mode: it moved here) gets a new
/// lane, so nothing of an earlier run carries over.
///
/// The scheduler keeps each stream's lane in the stream's slot and hands it to a worker together with the stream's
/// frame (`TakenFrame`); the slot stays empty until the worker gives the lane back with `complete`. So a lane is
/// used by one worker at a time by construction, and needs no lock of its own.
public final class StreamLane {
    public let index: Int
    public let streamID: String
    /// Carried in every result of this lane (`run_id`): frame and track ids are unique within it.
    public let runID: String
    /// Fleet mode: this instance's name, carried in every result (`instance`); nil otherwise.
    public let instance: String?
    /// nil when tracking is off (`tracker.enabled: false`): detections are published as they are.
    let tracker: ByteTracker?
    /// nil when the stream has no zones or lines.
    let zoneCounter: ZoneCounter?
    /// Whether the tracker's clock is the media time (files read as fast as possible, without loop) or the capture
    /// clock (live and paced sources, where it equals media time and never jumps back at a loop).
    private let usesMediaTime: Bool
    /// Whether this stream's messages carry previews, and at most how often.
    private let wantsPreviews: Bool
    private let previewIntervalNs: UInt64
    private var lastPreviewNs: UInt64?

    init(
        index: Int, streamID: String, runID: String = "", instance: String? = nil, tracker: ByteTracker?,
        usesMediaTime: Bool, wantsPreviews: Bool, previewIntervalNs: UInt64, zoneCounter: ZoneCounter? = nil
    ) {
        self.index = index
        self.streamID = streamID
        self.runID = runID
        self.instance = instance
        self.tracker = tracker
        self.zoneCounter = zoneCounter
        self.usesMediaTime = usesMediaTime
        self.wantsPreviews = wantsPreviews
        self.previewIntervalNs = previewIntervalNs
    }

    /// A lane with nothing but its place: no tracker, no previews (schedulers built without a configuration).
    convenience init(index: Int) {
        self.init(
            index: index, streamID: "stream-\(index)", tracker: nil, usesMediaTime: false, wantsPreviews: false,
            previewIntervalNs: 0)
    }

    /// Stream `index`'s lane: a ByteTracker (`tracker:`), previews as `include_frames` and
    /// `preview.min_interval_ms` say, a zone counter when the stream has zones or lines.
    public convenience init(for configuration: Configuration, index: Int, runID: String, instance: String? = nil) {
        let tracking = configuration.tracker
        let stream = configuration.streams[index]
        self.init(
            index: index, streamID: stream.id, runID: runID, instance: instance,
            tracker: tracking.enabled ? ByteTracker(parameters: tracking.parameters) : nil,
            usesMediaTime: !stream.realtime && !stream.loop,
            wantsPreviews: configuration.includesFrames(streamIndex: index),
            previewIntervalNs: UInt64(configuration.preview.minIntervalMs) * 1_000_000,
            zoneCounter: stream.zones.isEmpty && stream.lines.isEmpty
                ? nil
                : ZoneCounter(
                    zones: stream.zones, lines: stream.lines, forgetAfterSeconds: tracking.lostTrackSeconds))
    }

    /// Feeds `result`'s tracks to the stream's zone counter (at `frame`'s tracking time) and adds the occupancy,
    /// the line counts and the events it decided to the result. Nothing for a stream without zones or lines.
    func applyZones(to result: inout FrameResult, frame: Frame) {
        guard let counter = zoneCounter else { return }
        let observations = result.tracks.map {
            ZoneObservation(trackID: $0.trackID, classID: $0.classID, className: $0.className, box: $0.box)
        }
        result.events = counter.update(
            observations, width: result.width, height: result.height, time: trackingTime(of: frame))
        result.zones = zip(counter.zones, counter.occupancy).map { ($0.name, $1) }
        result.lines = zip(counter.lines, counter.lineCounts).map { ($0.name, $1) }
    }

    /// The tracker's time of `frame`, in seconds.
    func trackingTime(of frame: Frame) -> Double {
        usesMediaTime
            ? (frame.ptsSeconds ?? Double(frame.captureUptimeNs) / 1e9) : Double(frame.captureUptimeNs) / 1e9
    }

    /// Whether `frame`'s message carries a preview: the stream wants previews and its interval has passed since
    /// the last one (counted from the frames' capture times). Marks the preview as given when it says yes.
    func takesPreview(_ frame: Frame) -> Bool {
        guard wantsPreviews else { return false }
        let now = frame.captureUptimeNs
        if let last = lastPreviewNs, previewIntervalNs > 0, now < last + previewIntervalNs { return false }
        lastPreviewNs = now
        return true
    }
}

/// A frame a worker took from the scheduler, with its stream's lane, which the worker has to itself until it hands
/// both back with `FrameScheduler.complete(_:)`.
public struct TakenFrame {
    public let frame: Frame
    public let lane: StreamLane
}
