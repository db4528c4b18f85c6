import AnalyticsCore
import Tracking

/// `tracker:` — ByteTrack parameters; one tracker per stream, updated on every detected frame. Defaults are the
/// tracker's own (`ByteTracker.Parameters`, where each is explained).
public struct TrackerConfiguration: Sendable, Equatable {
    private static let defaults = ByteTracker.Parameters()
    /// false publishes the raw detections with track id -1 (no tracking).
    public var enabled = true
    /// Detections at or above this score take part in the first association.
    public var highThreshold = defaults.highThreshold
    /// Detections between this and `highThreshold` take part in the second association only.
    public var lowThreshold = defaults.lowThreshold
    /// An unmatched detection starts a new track only at or above this score.
    public var newTrackThreshold = defaults.newTrackThreshold
    /// How long a lost track is kept for re-identification, in seconds.
    public var lostTrackSeconds = defaults.lostTrackSeconds
    /// A new track from a detection at or above this score is published at once (1: on its second match).
    public var confirmAtOnceScore = defaults.confirmAtOnceScore
    /// Growth of the distance gate, in track heights per second since the track was seen (0: IoU pairing only).
    public var distanceGatePerSecond = defaults.distanceGatePerSecond
    /// A track is published only while the mean score of its detections is at least this (0: every track).
    public var publishMinimumScore = defaults.publishMinimumScore

    /// The tracker's parameters with this section's values.
    public var parameters: ByteTracker.Parameters {
        var parameters = ByteTracker.Parameters()
        parameters.highThreshold = highThreshold
        parameters.lowThreshold = lowThreshold
        parameters.newTrackThreshold = newTrackThreshold
        parameters.lostTrackSeconds = lostTrackSeconds
        parameters.confirmAtOnceScore = confirmAtOnceScore
        parameters.distanceGatePerSecond = distanceGatePerSecond
        parameters.publishMinimumScore = publishMinimumScore
        return parameters
    }

    public init() {}

    public static let keys = [
        "enabled", "high_threshold", "low_threshold", "new_track_threshold", "lost_track_s", "confirm_at_once_score",
        "distance_gate_per_s", "publish_min_score",
    ]

    public init(_ section: YAMLSection) throws(ConfigurationError) {
        enabled = try section.bool("enabled", default: enabled)
        highThreshold = try section.double("high_threshold", default: highThreshold, in: 0...1)
        lowThreshold = try section.double("low_threshold", default: lowThreshold, in: 0...1)
        guard lowThreshold <= highThreshold else {
            throw section.error(
                "low_threshold", "got \(lowThreshold); allowed: at most high_threshold (\(highThreshold))")
        }
        newTrackThreshold = try section.double("new_track_threshold", default: newTrackThreshold, in: 0...1)
        lostTrackSeconds = try section.double("lost_track_s", default: lostTrackSeconds, in: 0...3600, unit: " s")
        confirmAtOnceScore = try section.double("confirm_at_once_score", default: confirmAtOnceScore, in: 0...1)
        distanceGatePerSecond = try section.double("distance_gate_per_s", default: distanceGatePerSecond, in: 0...10)
        publishMinimumScore = try section.double("publish_min_score", default: publishMinimumScore, in: 0...1)
    }
}
