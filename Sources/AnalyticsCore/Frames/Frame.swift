/// One decoded frame of one stream, scaled to the working resolution.
public struct Frame: Sendable {
    /// Position of the stream in the configuration (dense index used by the scheduler and status).
    public var streamIndex: Int
    /// The stream's configured id.
    public var streamID: String
    /// Monotonic per stream, across loops and reconnects, starting at 0.
    public var index: Int64
    /// Wall-clock time the frame left the decoder, in milliseconds since the Unix epoch.
    public var captureTimeMs: Int64
    /// Monotonic time the frame left the decoder, in nanoseconds (for latency and pacing, immune to clock steps).
    public var captureUptimeNs: UInt64
    /// Presentation time in seconds from the source's time base, when the source provides one.
    public var ptsSeconds: Double?
    public var pixels: PixelBuffer
    /// Whether the picture changed since the stream's previous frame (the reader's motion meter); nil when the
    /// reader cannot tell (a pixel format it does not measure), which the scheduler treats as motion.
    public var motion: Bool?

    public var width: Int { pixels.width }
    public var height: Int { pixels.height }

    public init(
        streamIndex: Int, streamID: String, index: Int64, captureTimeMs: Int64, captureUptimeNs: UInt64,
        ptsSeconds: Double?, pixels: PixelBuffer, motion: Bool? = nil
    ) {
        self.streamIndex = streamIndex
        self.streamID = streamID
        self.index = index
        self.captureTimeMs = captureTimeMs
        self.captureUptimeNs = captureUptimeNs
        self.ptsSeconds = ptsSeconds
        self.pixels = pixels
        self.motion = motion
    }
}

/// Connection state of a stream as users see it (status line, dashboard).
public enum StreamState: UInt8, Sendable, CustomStringConvertible, CaseIterable {
    /// Opening the source for the first time.
    case connecting
    /// Frames are flowing.
    case online
    /// The source was lost; reopening it.
    case reconnecting
    /// The source cannot be opened right now; retrying with backoff.
    case offline
    /// A file without `loop` played to its end.
    case ended

    public var description: String {
        switch self {
        case .connecting: "connecting"
        case .online: "online"
        case .reconnecting: "reconnecting"
        case .offline: "offline"
        case .ended: "ended"
        }
    }
}
