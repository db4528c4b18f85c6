/// Runs a ByteTracker over a MOTChallenge detection sequence: the same loop the `track-mot` command and the
/// quality tests use, so both measure one code path.
public enum MOTSequenceTracking {
    public struct Result: Sendable {
        /// The tracker's confirmed tracks, one entry per track per updated frame.
        public var tracks: [MOTEntry]
        /// The frames the tracker was updated on.
        public var frames: [Int]
        /// Time spent inside `update`, in seconds.
        public var updateSeconds: Double
    }

    /// Updates the tracker on frames 1, 1 + every, 1 + 2·every, … through `lastFrame` with that frame's detections
    /// (class 0 when the file has none), at time (frame − 1) / fps. The Kalman filter steps in frames of
    /// `referenceFPS` (default: `fps`).
    public static func run(
        detections: [MOTEntry], lastFrame: Int, fps: Double, every: Int = 1,
        parameters: ByteTracker.Parameters = .init(),
        referenceFPS: Double? = nil
    ) -> Result {
        var parameters = parameters
        parameters.referenceFPS = referenceFPS ?? fps
        let tracker = ByteTracker(parameters: parameters)
        let byFrame = Dictionary(grouping: detections, by: \.frame)
        var tracks: [MOTEntry] = []
        var frames: [Int] = []
        let clock = ContinuousClock()
        var elapsed = Duration.zero
        for frame in stride(from: 1, through: lastFrame, by: max(1, every)) {
            let frameDetections = (byFrame[frame] ?? []).map {
                ByteTracker.Detection(box: $0.box, score: $0.confidence, classID: 0)
            }
            let started = clock.now
            let output = tracker.update(detections: frameDetections, time: Double(frame - 1) / fps)
            elapsed += started.duration(to: clock.now)
            frames.append(frame)
            tracks += output.map { MOTEntry(frame: frame, id: $0.trackID, box: $0.box, confidence: $0.confidence) }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Result(tracks: tracks, frames: frames, updateSeconds: seconds)
    }
}
