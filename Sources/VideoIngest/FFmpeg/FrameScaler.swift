import AnalyticsCore
import CFFmpeg

/// Converts decoded frames of any pixel format and size to I420 at the working resolution (swscale).
/// The SwsContext is cached and rebuilt only when the source format or size changes. One per reader thread.
final class FrameScaler {
    private var context: OpaquePointer?
    private let targetWidth: Int
    private let targetHeight: Int

    /// `targetHeight` 0 keeps the source aspect ratio.
    init(targetWidth: Int, targetHeight: Int) {
        self.targetWidth = targetWidth
        self.targetHeight = targetHeight
    }

    deinit {
        sws_freeContext(context)
    }

    /// Output size for a source of `width` x `height`.
    func outputSize(sourceWidth width: Int, sourceHeight height: Int) -> (width: Int, height: Int) {
        guard targetHeight == 0 else { return (targetWidth, targetHeight) }
        guard width > 0, height > 0 else { return (targetWidth, targetWidth * 9 / 16 & ~1) }
        let scaled = Int((Double(targetWidth) * Double(height) / Double(width)).rounded())
        return (targetWidth, max(2, scaled & ~1))
    }

    /// Scales `frame` into `buffer` (which must have `outputSize` dimensions).
    func scale(_ frame: UnsafePointer<AVFrame>, into buffer: PixelBuffer) throws(IngestError) {
        let source = frame.pointee
        context = sws_getCachedContext(
            context, source.width, source.height, AVPixelFormat(rawValue: source.format),
            Int32(buffer.width), Int32(buffer.height), AV_PIX_FMT_YUV420P, SWS_BILINEAR, nil, nil, nil)
        guard let context else {
            throw IngestError(description: "cannot convert \(source.width)x\(source.height) pixel format \(source.format) to I420")
        }
        let rows = ra_scale_to_i420(
            context, frame, buffer.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(buffer.width),
            Int32(buffer.height))
        guard rows == Int32(buffer.height) else {
            throw IngestError(description: "scaling failed (\(rows) rows)")
        }
    }
}
