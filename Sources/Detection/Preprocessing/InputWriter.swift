import AnalyticsCore
import CFFmpeg

/// Fills a network input ([1, 3, S, S] f32, RGB planes, 0…1) from an I420 frame: swscale resizes and converts to
/// planar RGB in one pass (only the frames that are analysed pay for it), then the bytes become floats around the
/// grey padding. One per worker thread; the swscale context is cached for the frame size.
public final class InputWriter {
    public let inputSize: Int
    public let resize: ModelConfiguration.Resize
    private var context: OpaquePointer?
    private var contextSize = (width: 0, height: 0)
    /// G, B, R planes (swscale's GBRP order) of the scaled content, `inputSize` bytes per row.
    private let planes: UnsafeMutableBufferPointer<UInt8>
    private var geometry: InputGeometry?

    public init(inputSize: Int, resize: ModelConfiguration.Resize) {
        self.inputSize = inputSize
        self.resize = resize
        planes = .allocate(capacity: 3 * inputSize * inputSize)
    }

    deinit {
        sws_freeContext(context)
        planes.deallocate()
    }

    /// Writes `frame` into `input` and returns where it landed.
    public func write(_ frame: PixelBuffer, into input: UnsafeMutableBufferPointer<Float>) throws(DetectionError)
        -> InputGeometry
    {
        let size = inputSize
        precondition(input.count == 3 * size * size, "the input must be 1x3x\(size)x\(size)")
        let geometry: InputGeometry
        if let cached = self.geometry, cached.frameWidth == frame.width, cached.frameHeight == frame.height {
            geometry = cached
        } else {
            geometry = InputGeometry(frameWidth: frame.width, frameHeight: frame.height, inputSize: size, resize: resize)
            // A new frame size: the padding changes, so the whole input is grey once; later frames of this size
            // overwrite only the content.
            input.update(repeating: 0.5)
            self.geometry = geometry
        }
        // Area averaging: frames shrink to the input size, and averaging keeps small objects' pixels (a 2x2
        // bilinear sample aliases them); it is what OpenCV's INTER_AREA does too.
        context = sws_getCachedContext(
            context, Int32(frame.width), Int32(frame.height), AV_PIX_FMT_YUV420P, Int32(geometry.contentWidth),
            Int32(geometry.contentHeight), AV_PIX_FMT_GBRP, SWS_AREA, nil, nil, nil)
        guard let context else {
            throw DetectionError("cannot convert \(frame.width)x\(frame.height) I420 to \(geometry.contentWidth)x\(geometry.contentHeight) RGB")
        }
        let plane = size * size
        let base = planes.baseAddress!
        let status = ra_scale_i420_to_gbrp(
            context, frame.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(frame.width),
            Int32(frame.height), base, base + plane, base + 2 * plane, Int32(size), Int32(geometry.contentHeight))
        guard status == 0 else { throw DetectionError("scaling the frame for the detector failed") }
        // GBRP planes to the network's R, G, B order.
        let scale: Float = 1 / 255
        let output = input.baseAddress!
        for (channel, source) in [(0, 2), (1, 0), (2, 1)] {
            let from = base + source * plane
            let to = output + channel * plane
            for row in 0..<geometry.contentHeight {
                let sourceRow = from + row * size
                let targetRow = to + (row + geometry.offsetY) * size + geometry.offsetX
                for column in 0..<geometry.contentWidth { targetRow[column] = Float(sourceRow[column]) * scale }
            }
        }
        return geometry
    }
}
