import CFFmpeg

/// A decoded picture held by reference: a clone of the decoder's `AVFrame` that shares its reference-counted
/// buffers (no pixel copy). Owns that clone and frees it with the last reference.
///
/// Sendable because nothing writes the picture after it is made; FFmpeg's buffer reference counts are atomic, so the
/// decoder may reuse its other buffers on its own thread meanwhile.
public final class DecodedPicture: @unchecked Sendable {
    private var frame: UnsafeMutablePointer<AVFrame>?
    public let width: Int
    public let height: Int
    public let format: AVPixelFormat

    /// A new reference to `frame`'s buffers, or nil when FFmpeg cannot make one (out of memory).
    public init?(referencing frame: UnsafePointer<AVFrame>) {
        guard let clone = av_frame_clone(frame) else { return nil }
        self.frame = clone
        width = Int(clone.pointee.width)
        height = Int(clone.pointee.height)
        format = AVPixelFormat(rawValue: clone.pointee.format)
    }

    deinit {
        av_frame_free(&frame)
    }

    public var planes: ImagePlanes {
        let picture = frame!.pointee
        return ImagePlanes(
            width: width, height: height, format: format,
            data: (picture.data.0, picture.data.1, picture.data.2, picture.data.3),
            strides: (picture.linesize.0, picture.linesize.1, picture.linesize.2, picture.linesize.3))
    }
}
