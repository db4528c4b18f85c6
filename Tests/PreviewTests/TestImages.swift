import AnalyticsCore
import CTurboJPEG
import VideoFrames

/// A decoded JPEG as packed RGB.
struct RGBImage {
    let width: Int
    let height: Int
    let pixels: [UInt8]

    subscript(x: Int, y: Int) -> RGB {
        let offset = (y * width + x) * 3
        return RGB(Int(pixels[offset]), Int(pixels[offset + 1]), Int(pixels[offset + 2]))
    }

    /// Mean absolute per-channel difference from `other` over `x0..<x1` x `y0..<y1`.
    func meanDifference(from other: RGBImage, x0: Int, y0: Int, x1: Int, y1: Int) -> Double {
        var total = 0
        for y in y0..<y1 {
            for x in x0..<x1 {
                total += self[x, y].distance(to: other[x, y])
            }
        }
        return Double(total) / Double(3 * (x1 - x0) * (y1 - y0))
    }

    /// Whether any pixel of the area satisfies `predicate`.
    func contains(x0: Int, y0: Int, x1: Int, y1: Int, where predicate: (RGB) -> Bool) -> Bool {
        for y in y0..<y1 {
            for x in x0..<x1 where predicate(self[x, y]) {
                return true
            }
        }
        return false
    }
}

struct RGB: Equatable, CustomStringConvertible {
    var r, g, b: Int

    init(_ r: Int, _ g: Int, _ b: Int) {
        self.r = r
        self.g = g
        self.b = b
    }

    /// Sum of absolute channel differences.
    func distance(to other: RGB) -> Int {
        abs(r - other.r) + abs(g - other.g) + abs(b - other.b)
    }

    /// Largest absolute channel difference.
    func maxDifference(to other: RGB) -> Int {
        max(abs(r - other.r), abs(g - other.g), abs(b - other.b))
    }

    var description: String { "(\(r), \(g), \(b))" }

    /// What a JPEG viewer shows for a box drawn in nominal colour `r, g, b`: the renderer writes BT.601
    /// limited-range YCbCr (like the video it draws on) and JPEG decoders read the samples as full range.
    static func displayed(_ r: Int, _ g: Int, _ b: Int) -> RGB {
        let (rd, gd, bd) = (Double(r), Double(g), Double(b))
        let y = (16 + (65.481 * rd + 128.553 * gd + 24.966 * bd) / 255).rounded()
        let cb = (128 + (-37.797 * rd - 74.203 * gd + 112.0 * bd) / 255).rounded() - 128
        let cr = (128 + (112.0 * rd - 93.786 * gd - 18.214 * bd) / 255).rounded() - 128
        func clamp(_ value: Double) -> Int { Int(min(max(value.rounded(), 0), 255)) }
        return RGB(clamp(y + 1.402 * cr), clamp(y - 0.344136 * cb - 0.714136 * cr), clamp(y + 1.772 * cb))
    }
}

struct DecodingError: Error, CustomStringConvertible {
    var description: String
}

/// Decodes `jpeg` to RGB with libjpeg-turbo. Chroma is upsampled by replication (`TJFLAG_FASTUPSAMPLE`) rather than
/// interpolated, so a pixel's colour comes from its own chroma sample only and thin lines can be checked exactly.
func decodeJPEG(_ jpeg: UnsafeRawBufferPointer) throws -> RGBImage {
    guard let handle = tjInitDecompress() else { throw DecodingError(description: "tjInitDecompress failed") }
    defer { tjDestroy(handle) }
    let source = jpeg.baseAddress!.assumingMemoryBound(to: UInt8.self)
    var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
    guard tjDecompressHeader3(handle, source, UInt(jpeg.count), &width, &height, &subsampling, &colorspace) == 0 else {
        throw DecodingError(description: "not a JPEG: \(String(cString: tjGetErrorStr2(handle)))")
    }
    guard subsampling == Int32(TJSAMP_420.rawValue) else {
        throw DecodingError(description: "expected 4:2:0 subsampling, got \(subsampling)")
    }
    var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * 3)
    let status = pixels.withUnsafeMutableBufferPointer { buffer in
        tjDecompress2(
            handle, source, UInt(jpeg.count), buffer.baseAddress, width, 0, height, Int32(TJPF_RGB.rawValue),
            TJFLAG_FASTUPSAMPLE)
    }
    guard status == 0 else {
        throw DecodingError(description: "decoding failed: \(String(cString: tjGetErrorStr2(handle)))")
    }
    return RGBImage(width: Int(width), height: Int(height), pixels: pixels)
}

/// Synthetic frames.
enum TestFrames {
    /// A grey gradient: luma rises left to right and a little top to bottom, chroma neutral.
    static func gradient(width: Int = 640, height: Int = 480) -> PixelBuffer {
        let buffer = PixelBuffer(width: width, height: height)
        let luma = buffer.lumaPlane
        for y in 0..<height {
            for x in 0..<width {
                luma[y * width + x] = UInt8(gradientLuma(x: x, y: y, width: width, height: height))
            }
        }
        return buffer
    }

    /// The luma of `gradient` at a pixel; JPEG decoders show it as grey `(value, value, value)`.
    static func gradientLuma(x: Int, y: Int, width: Int = 640, height: Int = 480) -> Int {
        40 + x * 150 / width + y * 40 / height
    }

    /// Something like a street scene: sky and ground gradients, coloured blocks, mild sensor noise.
    static func scene(width: Int = 640, height: Int = 480) -> PixelBuffer {
        let buffer = PixelBuffer(width: width, height: height)
        let luma = buffer.lumaPlane, cb = buffer.cbPlane, cr = buffer.crPlane
        var seed: UInt32 = 12345
        func noise() -> Int {
            seed = seed &* 1_664_525 &+ 1_013_904_223
            return Int(seed >> 29) - 4
        }
        let horizon = height * 2 / 5
        let blocks = [
            (60, 110, 170, 300, 90, 120, 140), (220, 80, 330, 300, 150, 125, 135),
            (400, 140, 520, 300, 70, 140, 110), (120, 330, 210, 420, 180, 90, 170),
        ]
        for y in 0..<height {
            for x in 0..<width {
                var value = y < horizon ? 200 - y * 60 / horizon : 90 + (y - horizon) * 50 / (height - horizon)
                for (x0, y0, x1, y1, blockLuma, _, _) in blocks where x >= x0 && x < x1 && y >= y0 && y < y1 {
                    value = blockLuma + ((x / 12 + y / 16) % 2) * 25
                }
                luma[y * width + x] = UInt8(min(max(value + noise(), 16), 235))
            }
        }
        for y in 0..<(height / 2) {
            for x in 0..<(width / 2) {
                var (u, v) = 2 * y < horizon ? (150, 118) : (118, 132)
                for (x0, y0, x1, y1, _, blockCb, blockCr) in blocks
                where 2 * x >= x0 && 2 * x < x1 && 2 * y >= y0 && 2 * y < y1 {
                    (u, v) = (blockCb, blockCr)
                }
                cb[y * (width / 2) + x] = UInt8(u)
                cr[y * (width / 2) + x] = UInt8(v)
            }
        }
        return buffer
    }
}
