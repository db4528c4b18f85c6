import AnalyticsCore
import Logging
import Messages
import Preview
import RuntimeSupport
import Synchronization
import VideoFrames

/// Turns frame results into wire messages for a sink: JSON (hand-written encoder) plus, when the worker says the
/// frame takes one (its stream's lane decides), a JPEG preview with boxes drawn. A preview that would push the
/// message over `maximumMessageBytes` is left out, counted.
///
/// Thread-safe: encoders and renderers are pooled, each used by one worker at a time, so steady state allocates
/// little and two workers never wait on each other's JPEG encoding.
public final class MessageComposer: Sendable {
    private let quality: Int
    private let previewMaxWidth: Int
    private let maximumMessageBytes: Int
    private let scratchPool = Mutex<[Scratch]>([])
    private let previews = Mutex(PreviewCounters())
    private let renderFailures = LogThrottle()
    private let logger: Logger

    /// Preview outcomes.
    public struct PreviewCounters: Sendable, Equatable {
        /// Messages that went out with their preview.
        public var attached = 0
        /// Left out because the sink's queue was full (the message went without it, or was dropped).
        public var droppedQueueFull = 0
        /// Left out because the message would have exceeded the size limit.
        public var droppedTooLarge = 0
        public var renderFailed = 0
    }

    /// An encoder and a preview renderer, owned by one worker at a time (taken from and returned to the pool).
    final class Scratch: @unchecked Sendable {
        var encoder = FrameMessageEncoder(reservingCapacity: 64 * 1024)
        var renderer: PreviewRenderer?
    }

    /// A message being sent: its bytes, and the means to fall back to the message without its preview.
    public struct Draft: ~Copyable {
        let scratch: Scratch
        let result: FrameResult
        public private(set) var hasPreview: Bool

        /// The encoded message; valid inside `body` only.
        public func withBytes<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
            scratch.encoder.bytes.withUnsafeBytes(body)
        }

        public var count: Int { scratch.encoder.bytes.count }

        /// Re-encodes the message without its preview.
        public mutating func dropPreview() {
            scratch.encoder.encode(result)
            hasPreview = false
        }
    }

    public init(configuration: Configuration, maximumMessageBytes: Int, logger: Logger) {
        quality = configuration.kafka.frameQuality
        previewMaxWidth = configuration.preview.maxWidth
        self.maximumMessageBytes = maximumMessageBytes
        self.logger = logger
    }

    public var previewCounters: PreviewCounters { previews.withLock { $0 } }

    /// Encodes `result` (with the frame's preview when `withPreview`) and hands the draft to `body`.
    public func compose<T>(_ result: FrameResult, frame: Frame, withPreview: Bool, _ body: (inout Draft) -> T) -> T {
        let scratch = scratchPool.withLock { $0.popLast() } ?? Scratch()
        defer { scratchPool.withLock { $0.append(scratch) } }
        let jpeg = withPreview ? renderPreview(frame: frame, tracks: result.tracks, scratch: scratch) : nil
        scratch.encoder.encode(result, jpeg: jpeg)
        var draft = Draft(scratch: scratch, result: result, hasPreview: jpeg != nil)
        if draft.hasPreview && draft.count > maximumMessageBytes {
            previews.withLock { $0.droppedTooLarge += 1 }
            draft.dropPreview()
        }
        return body(&draft)
    }

    /// The frame's preview as a `data:image/jpeg;base64,…` URL (for consumers in this process, which take typed
    /// values rather than encoded messages); nil when rendering failed (counted).
    public func previewDataURL(frame: Frame, tracks: [Track]) -> String? {
        let scratch = scratchPool.withLock { $0.popLast() } ?? Scratch()
        defer { scratchPool.withLock { $0.append(scratch) } }
        guard let jpeg = renderPreview(frame: frame, tracks: tracks, scratch: scratch) else { return nil }
        var url = Array("data:image/jpeg;base64,".utf8)
        url.reserveCapacity(url.count + Base64.encodedCount(jpeg.count))
        Base64.append(jpeg, to: &url)
        return String(decoding: url, as: UTF8.self)
    }

    /// The sink reports what became of a draft's preview.
    public func recordPreviewSent() { previews.withLock { $0.attached += 1 } }
    public func recordPreviewDroppedQueueFull() { previews.withLock { $0.droppedQueueFull += 1 } }

    /// The frame's preview with `tracks` drawn, as JPEG bytes valid until the scratch's next render.
    private func renderPreview(frame: Frame, tracks: [Track], scratch: Scratch) -> UnsafeRawBufferPointer? {
        do {
            if scratch.renderer == nil { scratch.renderer = try PreviewRenderer() }
            return try scratch.renderer!.render(frame, tracks: tracks, maxWidth: previewMaxWidth, quality: quality)
        } catch {
            previews.withLock { $0.renderFailed += 1 }
            renderFailures.record(
                logger, .error, "preview rendering failed: \(error); messages go out without previews")
            return nil
        }
    }
}
