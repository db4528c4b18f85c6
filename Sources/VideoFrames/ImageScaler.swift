import CFFmpeg

/// The project's one swscale wrapper: scales and converts any image into planes of another size and format, in one
/// pass. Owns its SwsContext, cached and rebuilt only when the source or target size or format changes. Not
/// thread-safe: one per thread that converts (a reader, a worker's detector input, a preview renderer).
public final class ImageScaler {
    public enum Filter: Sendable {
        /// Area averaging: for shrinking a lot (the detector input), as OpenCV's INTER_AREA; keeps small objects'
        /// pixels that a 2x2 bilinear sample would alias away.
        case area
        /// Bilinear: cheaper, for modest changes of size (working frames, previews).
        case bilinear

        var flags: Int32 {
            switch self {
            case .area: SWS_AREA
            case .bilinear: SWS_BILINEAR
            }
        }
    }

    public let filter: Filter
    private var context: OpaquePointer?

    public init(filter: Filter) {
        self.filter = filter
    }

    deinit {
        sws_freeContext(context)
    }

    /// Scales all of `source` into all of `target`.
    public func scale(_ source: ImagePlanes, into target: ImagePlanes) throws(ImageScalerError) {
        context = sws_getCachedContext(
            context, Int32(source.width), Int32(source.height), source.format, Int32(target.width),
            Int32(target.height), target.format, filter.flags, nil, nil, nil)
        guard let context else {
            throw ImageScalerError(
                description: "cannot convert \(source.width)x\(source.height) \(Self.name(source.format)) to "
                    + "\(target.width)x\(target.height) \(Self.name(target.format))")
        }
        var sourceData = source.data, sourceStrides = source.strides
        var targetData = target.data, targetStrides = target.strides
        // swscale reads four plane pointers and four strides from each side: the tuples are laid out that way.
        let rows = withUnsafePointer(to: &sourceData) { sourcePlanes in
            withUnsafePointer(to: &sourceStrides) { sourceStride in
                withUnsafePointer(to: &targetData) { targetPlanes in
                    withUnsafePointer(to: &targetStrides) { targetStride in
                        sws_scale(
                            context,
                            UnsafeRawPointer(sourcePlanes).assumingMemoryBound(to: UnsafePointer<UInt8>?.self),
                            UnsafeRawPointer(sourceStride).assumingMemoryBound(to: Int32.self), 0,
                            Int32(source.height),
                            UnsafeRawPointer(targetPlanes).assumingMemoryBound(to: UnsafeMutablePointer<UInt8>?.self),
                            UnsafeRawPointer(targetStride).assumingMemoryBound(to: Int32.self))
                    }
                }
            }
        }
        guard rows == Int32(target.height) else {
            throw ImageScalerError(
                description:
                    "scaling \(source.width)x\(source.height) to \(target.width)x\(target.height) failed (\(rows) rows)"
            )
        }
    }

    /// `pixels` as I420 at `width` x `height`: the buffer itself when it already is, otherwise a new one (from `pool`
    /// when given).
    public func i420(
        _ pixels: FramePixels, width: Int, height: Int, pool: PixelBufferPool? = nil
    )
        throws(ImageScalerError) -> PixelBuffer
    {
        if case .i420(let buffer) = pixels, buffer.width == width, buffer.height == height { return buffer }
        let buffer = pool?.makeBuffer(width: width, height: height) ?? PixelBuffer(width: width, height: height)
        try scale(pixels.planes, into: buffer.planes)
        return buffer
    }

    private static func name(_ format: AVPixelFormat) -> String {
        av_get_pix_fmt_name(format).map { String(cString: $0) } ?? "pixel format \(format.rawValue)"
    }
}

/// A conversion swscale cannot do (an unsupported pixel format or size); the description names both images.
public struct ImageScalerError: Error, CustomStringConvertible {
    public let description: String
}
