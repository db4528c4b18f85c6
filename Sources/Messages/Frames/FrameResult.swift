import Tracking
import Zones

/// One tracked object in a frame.
public struct Track: Sendable, Equatable {
    /// Unique within (stream, run); -1 for a detection that has not been through the tracker.
    public var trackID: Int
    /// Class index of the detector's label set (COCO for the bundled model).
    public var classID: Int
    /// Human-readable class name, when the label set is known.
    public var className: String?
    public var confidence: Float
    /// Box corners in working-frame pixels: x1, y1, x2, y2.
    public var x1: Float
    public var y1: Float
    public var x2: Float
    public var y2: Float

    public init(
        trackID: Int, classID: Int, className: String? = nil, confidence: Float, x1: Float, y1: Float, x2: Float,
        y2: Float
    ) {
        self.trackID = trackID
        self.classID = classID
        self.className = className
        self.confidence = confidence
        self.x1 = x1
        self.y1 = y1
        self.x2 = x2
        self.y2 = y2
    }

    /// A track whose corners are `box` (rounded to the wire format's Float).
    public init(trackID: Int, classID: Int, className: String? = nil, confidence: Float, box: Box) {
        self.init(
            trackID: trackID, classID: classID, className: className, confidence: confidence, x1: Float(box.x1),
            y1: Float(box.y1), x2: Float(box.x2), y2: Float(box.y2))
    }

    /// The corners as the project's box geometry (IoU, clipping).
    public var box: Box { Box(x1: Double(x1), y1: Double(y1), x2: Double(x2), y2: Double(y2)) }
}

/// What the pipeline publishes for one processed frame.
public struct FrameResult: Sendable {
    public var streamID: String
    public var frameID: Int64
    /// The pipeline run that produced it (`RunID`); nil in messages from producers before run ids.
    public var runID: String?
    /// Fleet mode: the pipeline instance that runs the stream now (`instance`: host name and process id).
    public var instance: String?
    public var timestampMs: Int64
    public var width: Int
    public var height: Int
    public var tracks: [Track]
    /// Streams with zones: per zone, per class name, the tracks in it now (`zones` in the message).
    public var zones: [(name: String, counts: [String: Int])] = []
    /// Streams with lines: per line, per direction, per class name, the crossings so far (`lines` in the message).
    public var lines: [(name: String, counts: [CrossingDirection: [String: Int]])] = []
    /// What happened in the zones and on the lines at this frame (published as event messages of their own).
    public var events: [ZoneEvent] = []

    public init(
        streamID: String, frameID: Int64, runID: String? = nil, instance: String? = nil, timestampMs: Int64,
        width: Int, height: Int, tracks: [Track]
    ) {
        self.streamID = streamID
        self.frameID = frameID
        self.runID = runID
        self.instance = instance
        self.timestampMs = timestampMs
        self.width = width
        self.height = height
        self.tracks = tracks
    }
}
