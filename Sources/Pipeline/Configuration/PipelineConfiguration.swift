import AnalyticsCore
import VideoIngest

/// `pipeline:` — how frames are decoded, scaled and scheduled.
public struct PipelineConfiguration: Sendable, Equatable {
    /// Working width in pixels every frame is scaled to.
    public var width = 640
    /// Working height in pixels; 0 keeps the source's aspect ratio (rounded to an even number).
    public var height = 0
    /// Frames per second analysed per stream (the detector's budget is shared by all streams); 0 = every frame.
    public var detectFPS: Double = 5
    /// Analysis worker threads; 0 = one per CPU core.
    public var detectorWorkers = 0
    /// FFmpeg decoder threads per stream. 1 suits many streams: each stream already has its own reader thread.
    public var decoderThreads = 1
    /// First wait before reconnecting a failed source.
    public var reconnectInitialBackoffMs = 500
    /// Longest wait between reconnect attempts (the wait doubles after each failure up to this).
    public var reconnectMaxBackoffMs = 30_000
    /// A network read or open that makes no progress for this long counts as a dead source.
    public var ioTimeoutMs = 5_000
    /// Seconds between status lines on stderr; 0 disables them.
    public var statusIntervalSeconds: Double = 5
    /// A live stream in which nothing moved since it was last analysed is analysed only this often, leaving the
    /// detector to the streams where something moves; 0 analyses every stream alike.
    public var idleCheckSeconds: Double = 2
    /// Streams that may be down (connecting, reconnecting or offline) while `/readyz` still answers ready.
    public var readyMaxStreamsDown = 0
    /// SIGTERM/SIGINT to exit at most: the sinks flush within it, less a second for the rest of the shutdown (set it
    /// below the orchestrator's own, e.g. Kubernetes' terminationGracePeriodSeconds).
    public var shutdownGraceSeconds: Double = 5

    public init() {}

    public static let keys = [
        "width", "height", "detect_fps", "detector_workers", "decoder_threads", "reconnect", "io_timeout_ms",
        "status_interval_s", "idle_check_s", "ready_max_streams_down", "shutdown_grace_s",
    ]
    public static let reconnectKeys = ["initial_backoff_ms", "max_backoff_ms"]

    public init(_ section: YAMLSection) throws(ConfigurationError) {
        width = try section.int("width", default: width, in: 16...7680, unit: " pixels")
        if width % 2 != 0 { throw section.error("width", "got \(width); allowed: an even number of pixels") }
        height = try section.int("height", default: height, in: 0...4320, unit: " pixels (0 = keep aspect ratio)")
        if height != 0 && (height < 16 || height % 2 != 0) {
            throw section.error(
                "height", "got \(height); allowed: 0 (keep aspect ratio) or an even number from 16 to 4320")
        }
        detectFPS = try section.double("detect_fps", default: detectFPS, in: 0...1000, unit: " (0 = every frame)")
        detectorWorkers = try section.int(
            "detector_workers", default: detectorWorkers, in: 0...256, unit: " (0 = one per core)")
        decoderThreads = try section.int(
            "decoder_threads", default: decoderThreads, in: 0...64, unit: " (0 = FFmpeg decides)")
        let reconnect = try section.section("reconnect", allowedKeys: Self.reconnectKeys)
        reconnectInitialBackoffMs = try reconnect.int(
            "initial_backoff_ms", default: reconnectInitialBackoffMs, in: 10...600_000, unit: " ms")
        reconnectMaxBackoffMs = try reconnect.int(
            "max_backoff_ms", default: reconnectMaxBackoffMs, in: 10...3_600_000, unit: " ms")
        guard reconnectMaxBackoffMs >= reconnectInitialBackoffMs else {
            throw reconnect.error(
                "max_backoff_ms",
                "got \(reconnectMaxBackoffMs); allowed: at least initial_backoff_ms (\(reconnectInitialBackoffMs))")
        }
        ioTimeoutMs = try section.int("io_timeout_ms", default: ioTimeoutMs, in: 100...600_000, unit: " ms")
        statusIntervalSeconds = try section.double(
            "status_interval_s", default: statusIntervalSeconds, in: 0...3600, unit: " s (0 = off)")
        idleCheckSeconds = try section.double(
            "idle_check_s", default: idleCheckSeconds, in: 0...3600, unit: " s (0 = every stream alike)")
        readyMaxStreamsDown = try section.int(
            "ready_max_streams_down", default: readyMaxStreamsDown, in: 0...100_000, unit: " streams")
        shutdownGraceSeconds = try section.double(
            "shutdown_grace_s", default: shutdownGraceSeconds, in: 2...600, unit: " s")
    }
}

extension IngestSettings {
    /// The readers' part of `pipeline:`.
    public init(_ pipeline: PipelineConfiguration) {
        self.init(
            width: pipeline.width, height: pipeline.height, decoderThreads: pipeline.decoderThreads,
            reconnectInitialSeconds: Double(pipeline.reconnectInitialBackoffMs) / 1000,
            reconnectMaximumSeconds: Double(pipeline.reconnectMaxBackoffMs) / 1000,
            ioTimeoutMs: pipeline.ioTimeoutMs)
    }
}
