import AnalyticsCore

/// Reusable per-thread preview renderer: not thread-safe, one per worker thread. Owns a tjhandle (one owning type)
/// and scratch buffers reused across calls so steady state allocates nothing.
///
/// A preview is the frame, downscaled when asked, with each track's box and label drawn on it, as a JPEG. Work
/// happens in I420 from end to end: swscale downscales I420 to I420, the overlay writes Y, U and V samples, and
/// libjpeg-turbo encodes the planes directly, so no RGB image is ever made.
public final class PreviewRenderer {
    private let compressor: JPEGCompressor
    private let scaler = PreviewScaler()
    private let image = ScratchImage()
    private let label = LabelText()

    /// Size of the last rendered image.
    public private(set) var lastSize: (width: Int, height: Int) = (0, 0)

    public init() throws(PreviewError) {
        compressor = try JPEGCompressor()
    }

    /// Draws `tracks` on a copy of `pixels` (never modify the shared input), downscaled first so its width is at most
    /// `maxWidth` (keep aspect, even dims; 0 = no limit), then encodes a JPEG at `quality` (1-100) with 4:2:0
    /// subsampling straight from the I420 planes (tjCompressFromYUVPlanes). Returns the JPEG bytes; they stay valid
    /// until the next call to render.
    ///
    /// Track coordinates are in `pixels`' coordinates and are scaled with the image. A negative `maxWidth` means no
    /// limit too; `quality` outside 1-100 is clamped.
    public func render(_ pixels: PixelBuffer, tracks: [Track], maxWidth: Int, quality: Int) throws(PreviewError)
        -> UnsafeRawBufferPointer
    {
        guard pixels.width >= 2, pixels.height >= 2 else {
            throw PreviewError(description: "cannot preview an empty \(pixels.width)x\(pixels.height) frame")
        }
        let size = Self.outputSize(width: pixels.width, height: pixels.height, maxWidth: maxWidth)
        let canvas = image.canvas(width: size.width, height: size.height)
        if size.width == pixels.width && size.height == pixels.height {
            canvas.copy(from: pixels)
        } else {
            try scaler.scale(pixels, into: canvas)
        }
        let overlay = TrackOverlay(canvas: canvas, sourceWidth: pixels.width, sourceHeight: pixels.height)
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
