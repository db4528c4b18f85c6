import CFFmpeg
import Messages
import VideoFrames

/// Reusable per-thread preview renderer: not thread-safe, one per worker thread. Owns a tjhandle (one owning type)
/// and scratch buffers reused across calls so steady state allocates nothing.
///
/// A preview is the frame at its working size (or smaller when asked), with each track's box and label drawn on it,
/// as a JPEG. Work happens in YUV from end to end: swscale scales the decoded picture straight into the I420 canvas,
/// the overlay writes Y, U and V samples, and libjpeg-turbo encodes the planes directly, so no RGB image is made.
public final class PreviewRenderer {
    private let compressor: JPEGCompressor
    private let scaler = ImageScaler(filter: .bilinear)
    private let image = ScratchImage()
    private let label = LabelText()

    /// Size of the last rendered image.
    public private(set) var lastSize: (width: Int, height: Int) = (0, 0)

    public init() throws(PreviewError) {
        compressor = try JPEGCompressor()
    }

    /// Draws `tracks` on a copy of `frame`'s pixels (never modify the shared input), scaled so its width is at most
    /// `maxWidth` (keep aspect, even dims; 0 = the working size), then encodes a JPEG at `quality` (1-100) with 4:2:0
    /// subsampling straight from the I420 planes (tjCompressFromYUVPlanes). Returns the JPEG bytes; they stay valid
    /// until the next call to render.
    ///
    /// Track coordinates are in the frame's working coordinates and are scaled with the image. A negative `maxWidth`
    /// means no limit too; `quality` outside 1-100 is clamped.
    public func render(
        _ frame: Frame, tracks: [Track], maxWidth: Int, quality: Int
    ) throws(PreviewError)
        -> UnsafeRawBufferPointer
    {
        try render(
            frame.pixels, width: frame.width, height: frame.height, tracks: tracks, maxWidth: maxWidth,
            quality: quality)
    }

    /// `render(_:tracks:maxWidth:quality:)` for pixels whose working size is `width` x `height`.
    public func render(
        _ pixels: FramePixels, width: Int, height: Int, tracks: [Track], maxWidth: Int, quality: Int
    ) throws(PreviewError) -> UnsafeRawBufferPointer {
        guard width >= 2, height >= 2 else {
            throw PreviewError(description: "cannot preview an empty \(width)x\(height) frame")
        }
        let size = Self.outputSize(width: width, height: height, maxWidth: maxWidth)
        let canvas = image.canvas(width: size.width, height: size.height)
        do {
            try scaler.scale(pixels.planes, into: canvas.planes)
        } catch {
            throw PreviewError(description: "cannot scale the preview: \(error)")
        }
        let overlay = TrackOverlay(canvas: canvas, sourceWidth: width, sourceHeight: height)
        for track in tracks {
            overlay.draw(track, label: label)
        }
        let jpeg = try compressor.compress(canvas, quality: quality)
        lastSize = size
        return jpeg
    }

    /// The preview size of a `width` x `height` frame: at most `maxWidth` wide (when positive), same aspect ratio,
    /// even dimensions of at least 2.
    static func outputSize(width: Int, height: Int, maxWidth: Int) -> (width: Int, height: Int) {
        guard maxWidth > 0, width > maxWidth else { return (width, height) }
        let targetWidth = max(2, maxWidth & ~1)
        let targetHeight = Int((Double(height) * Double(targetWidth) / Double(width)).rounded())
        return (targetWidth, max(2, targetHeight & ~1))
    }
}
