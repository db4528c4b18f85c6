import CFFmpeg

/// Where an image's pixels are: up to four planes with their row strides, its size and pixel format. A view: it
/// owns nothing, and is valid while whatever holds the memory (a `DecodedPicture`, a `PixelBuffer`, a tensor) lives.
public struct ImagePlanes {
    public var width: Int
    public var height: Int
    public var format: AVPixelFormat
    /// Plane start addresses; unused planes are nil. (A tuple, the layout swscale reads: four pointers in a row.)
    public var data:
        (
            UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt8>?,
            UnsafeMutablePointer<UInt8>?
        )
    /// Bytes from one row to the next, per plane.
    public var strides: (Int32, Int32, Int32, Int32)

    public init(
        width: Int, height: Int, format: AVPixelFormat,
        data: (
            UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt8>?,
            UnsafeMutablePointer<UInt8>?
        ),
        strides: (Int32, Int32, Int32, Int32)
    ) {
        self.width = width
        self.height = height
        self.format = format
        self.data = data
        self.strides = strides
    }

    /// Three 8-bit planes G, B, R (swscale's planar RGB), `stride` bytes per row.
    public static func gbrp(
        width: Int, height: Int, green: UnsafeMutablePointer<UInt8>, blue: UnsafeMutablePointer<UInt8>,
        red: UnsafeMutablePointer<UInt8>, stride: Int
    ) -> ImagePlanes {
        ImagePlanes(
            width: width, height: height, format: AV_PIX_FMT_GBRP, data: (green, blue, red, nil),
            strides: (Int32(stride), Int32(stride), Int32(stride), 0))
    }
}
