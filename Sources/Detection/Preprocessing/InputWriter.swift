import AnalyticsCore
import VideoFrames

/// Fills one slot of the network input ([3, H, W] bytes, R, G, B planes) from a frame's pixels: swscale scales and
/// converts them to planar RGB in one pass, straight from the decoded picture into the request's input tensor, at
/// the place the frame lands (only the frames that are analysed pay for it). One per batch slot of a worker's
/// request; its scaler and geometry are cached for the frame size.
public final class InputWriter {
    public let inputSize: InputSize
    public let resize: ModelConfiguration.Resize
    /// Area averaging, in one pass from the decoded picture: frames shrink to the input size, and averaging keeps
    /// small objects' pixels (a 2x2 bilinear sample aliases them), as OpenCV's INTER_AREA does.
    private let scaler = ImageScaler(filter: .area)
    private var geometry: InputGeometry?

    public init(inputSize: InputSize, resize: ModelConfiguration.Resize) {
        self.inputSize = inputSize
        self.resize = resize
    }

    /// Writes `frame` into `input` and returns where it landed (in the frame's working coordinates).
    public func write(
        _ frame: Frame, into input: UnsafeMutableBufferPointer<UInt8>
    ) throws(DetectionError)
        -> InputGeometry
    {
        let size = inputSize
        precondition(input.count == 3 * size.planeCount, "the input must be 3x\(size.height)x\(size.width)")
        let geometry: InputGeometry
        if let cached = self.geometry, cached.frameWidth == frame.width, cached.frameHeight == frame.height {
            geometry = cached
        } else {
            geometry = InputGeometry(
                frameWidth: frame.width, frameHeight: frame.height, input: size, resize: resize)
            // A new frame size: the padding changes, so the whole input is grey once; later frames of this size
            // overwrite only the content.
            input.update(repeating: 128)
            self.geometry = geometry
        }
        let plane = size.planeCount
        let content = input.baseAddress! + geometry.offsetY * size.width + geometry.offsetX
        let target = ImagePlanes.gbrp(
            width: geometry.contentWidth, height: geometry.contentHeight, green: content + plane,
            blue: content + 2 * plane, red: content, stride: size.width)
        do {
            try scaler.scale(frame.pixels.planes, into: target)
        } catch {
            throw DetectionError("cannot prepare the detector input: \(error)")
        }
        return geometry
    }
}
