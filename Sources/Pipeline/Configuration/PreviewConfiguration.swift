import AnalyticsCore

/// `preview:` — the JPEG previews attached to messages when `include_frames` is on.
public struct PreviewConfiguration: Sendable, Equatable {
    /// Previews are downscaled to at most this width (0 = the working width).
    public var maxWidth = 640
    /// At least this long between two previews of one stream; messages in between carry no preview.
    public var minIntervalMs = 0

    public init() {}

    public static let keys = ["max_width", "min_interval_ms"]

    public init(_ section: YAMLSection) throws(ConfigurationError) {
        maxWidth = try section.int("max_width", default: maxWidth, in: 0...7680, unit: " pixels (0 = working width)")
        minIntervalMs = try section.int("min_interval_ms", default: minIntervalMs, in: 0...3_600_000, unit: " ms")
    }
}
