/// One decoded frame of one stream. Its coordinates (`width` x `height`, the working size) are the ones every box
/// about it uses; its pixels may still be at the source's size (see `FramePixels`).
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
    public var pixels: FramePixels
    /// The working size: boxes, tracks and previews of this frame are in these coordinates.
    public var width: Int
    public var height: Int
    /// Whether the picture changed since the stream's previous frame (the reader's motion meter); nil when the
    /// reader cannot tell (a pixel format it does not measure), which the scheduler treats as motion.
    public var motion: Bool?

    public init(
        streamIndex: Int, streamID: String, index: Int64, captureTimeMs: Int64, captureUptimeNs: UInt64,
        ptsSeconds: Double?, pixels: FramePixels, width: Int, height: Int, motion: Bool? = nil
    ) {
        self.streamIndex = streamIndex
        self.streamID = streamID
        self.index = index
        self.captureTimeMs = captureTimeMs
        self.captureUptimeNs = captureUptimeNs
        self.ptsSeconds = ptsSeconds
        self.pixels = pixels
        self.width = width
        self.height = height
        self.motion = motion
    }

    /// A frame whose pixels are an I420 buffer at the working size (tests, benchmarks, synthetic frames).
    public init(
        streamIndex: Int, streamID: String, index: Int64, captureTimeMs: Int64, captureUptimeNs: UInt64,
        ptsSeconds: Double?, pixels: PixelBuffer, motion: Bool? = nil
    ) {
        self.init(
            streamIndex: streamIndex, streamID: streamID, index: index, captureTimeMs: captureTimeMs,
            captureUptimeNs: captureUptimeNs, ptsSeconds: ptsSeconds, pixels: .i420(pixels), width: pixels.width,
            height: pixels.height, motion: motion)
    }
}

/// What a frame's pixels are. Readers hand frames on as decoded; whoever needs pixels (the detector's input, a
/// preview) scales them once, straight to the size it needs, on its own thread with its own `ImageScaler`. Most live
/// frames are replaced in their mailbox before anyone reads them, so they are never converted at all.
public enum FramePixels: Sendable {
    /// As the decoder made them: the source's size and pixel format.
    case decoded(DecodedPicture)
    /// I420 at the frame's working size.
    case i420(PixelBuffer)

    /// The planes to read, for `ImageScaler`.
    public var planes: ImagePlanes {
        switch self {
        case .decoded(let picture): picture.planes
        case .i420(let buffer): buffer.planes
        }
    }
}
