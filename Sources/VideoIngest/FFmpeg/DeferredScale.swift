import AnalyticsCore
import CFFmpeg
import Foundation

/// A decoded frame held by reference (no copy) until a worker needs its pixels, then scaled to I420 on that
/// worker's thread with that thread's own scaler.
final class DeferredScale: DeferredPixels, @unchecked Sendable {
    // Owned; only touched by the one thread that materializes (under the buffer's lock) or by deinit.
    private var source: UnsafeMutablePointer<AVFrame>?

    /// A new reference to `frame`'s buffers, or nil when FFmpeg cannot make one.
    init?(referencing frame: UnsafePointer<AVFrame>) {
        guard let clone = av_frame_clone(frame) else { return nil }
        source = clone
    }

    deinit {
        av_frame_free(&source)
    }

    func write(into buffer: PixelBuffer) throws {
        guard let source else { return }
        try Self.scaler().scale(source, into: buffer)
        av_frame_free(&self.source)
    }

    /// The calling thread's scaler (its swscale context is cached for the source and target sizes).
    private static func scaler() -> FrameScaler {
        let key = "realtime-analytics.deferred-scaler"
        if let scaler = Thread.current.threadDictionary[key] as? FrameScaler { return scaler }
        let scaler = FrameScaler(targetWidth: 0, targetHeight: 0)
        Thread.current.threadDictionary[key] = scaler
        return scaler
    }
}
