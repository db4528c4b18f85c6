import AnalyticsCore
import VideoFrames

/// Fills one slot of the network input ([3, S, S] bytes, R, G, B planes) from a frame's pixels: swscale scales and
/// converts them to planar RGB straight into the request's input tensor, at the place the frame lands (only the
/// frames that are analysed pay for it). One per batch slot of a worker's
/// request; its scaler and geometry are cached for the frame size.
public final class InputWriter {
    public let inputSize: Int
    public let resize: ModelConfiguration.Resize
    /// The frame at its working size first (bilinear, as a preview would show it), then area averaging down to the
    /// input: frames shrink to the input size, and averaging keeps small objects' pixels (a 2x2 bilinear sample
    /// aliases them), as OpenCV's INTER_AREA does. Two passes rather than one straight from the decoded picture:
    /// measured on the 32-stream sample, the single pass made a static near-threshold false person in vtest cross
    /// the new-track score far more often (live precision 0.88 against 0.96, MOTA 0.81 against 0.90) for 3 % more
    /// detections/s; see docs/benchmarks.md.
    private let workingScaler = ImageScaler(filter: .bilinear)
    private let working = PixelBufferPool(maximumFree: 1)
    private let scaler = ImageScaler(filter: .area)
    private var geometry: InputGeometry?

    public init(inputSize: Int, resize: ModelConfiguration.Resize) {
        self.inputSize = inputSize
        self.resize = resize
    }

    /// Writes `frame` into `input` and returns where it landed (in the frame's working coordinates).
    public func write(_ frame: Frame, into input: UnsafeMutableBufferPointer<UInt8>) throws(DetectionError)
        -> InputGeometry
    {
        let size = inputSize
        precondition(input.count == 3 * size * size, "the input must be 3x\(size)x\(size)")
        let geometry: InputGeometry
        if let cached = self.geometry, cached.frameWidth == frame.width, cached.frameHeight == frame.height {
            geometry = cached
        } else {
            geometry = InputGeometry(frameWidth: frame.width, frameHeight: frame.height, inputSize: size, resize: resize)
            // A new frame size: the padding changes, so the whole input is grey once; later frames of this size
            // overwrite only the content.
            input.update(repeating: 128)
            self.geometry = geometry
        }
        let plane = size * size
        let content = input.baseAddress! + geometry.offsetY * size + geometry.offsetX
        let target = ImagePlanes.gbrp(
            width: geometry.contentWidth, height: geometry.contentHeight, green: content + plane,
            blue: content + 2 * plane, red: content, stride: size)
        do {
            let pixels = try workingScaler.i420(frame.pixels, width: frame.width, height: frame.height, pool: working)
            try scaler.scale(pixels.planes, into: target)
        } catch {
            throw DetectionError("cannot prepare the detector input: \(error)")
        }
        return geometry
    }
}
