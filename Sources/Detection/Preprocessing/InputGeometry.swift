import AnalyticsCore
import Tracking

/// Where a frame lands inside the network input, and the way back: stretched to fill it, or letterboxed (aspect
/// ratio kept, centred, grey bars).
public struct InputGeometry: Sendable, Equatable {
    public let input: InputSize
    public let frameWidth: Int
    public let frameHeight: Int
    /// The scaled frame's size and top-left corner inside the input.
    public let contentWidth: Int
    public let contentHeight: Int
    public let offsetX: Int
    public let offsetY: Int

    public init(frameWidth: Int, frameHeight: Int, input: InputSize, resize: ModelConfiguration.Resize) {
        self.input = input
        self.frameWidth = frameWidth
        self.frameHeight = frameHeight
        switch resize {
        case .stretch:
            contentWidth = input.width
            contentHeight = input.height
        case .letterbox:
            let scale = min(Double(input.width) / Double(frameWidth), Double(input.height) / Double(frameHeight))
            contentWidth = min(input.width, max(1, Int((Double(frameWidth) * scale).rounded())))
            contentHeight = min(input.height, max(1, Int((Double(frameHeight) * scale).rounded())))
        }
        offsetX = (input.width - contentWidth) / 2
        offsetY = (input.height - contentHeight) / 2
    }

    private var scaleX: Float { Float(contentWidth) / Float(frameWidth) }
    private var scaleY: Float { Float(contentHeight) / Float(frameHeight) }

    /// A point in input pixels to frame pixels (not clipped).
    public func toFrame(x: Float, y: Float) -> (x: Float, y: Float) {
        ((x - Float(offsetX)) / scaleX, (y - Float(offsetY)) / scaleY)
    }

    /// A point in frame pixels to input pixels.
    public func toInput(x: Float, y: Float) -> (x: Float, y: Float) {
        (x * scaleX + Float(offsetX), y * scaleY + Float(offsetY))
    }

    /// A box in input pixels to frame pixels, clipped to the frame.
    public func toFrame(_ box: Detection) -> Detection {
        let (x1, y1) = toFrame(x: box.x1, y: box.y1), (x2, y2) = toFrame(x: box.x2, y: box.y2)
        var mapped = box
        mapped.box = Box(x1: Double(x1), y1: Double(y1), x2: Double(x2), y2: Double(y2))
            .clipped(width: Double(frameWidth), height: Double(frameHeight))
        return mapped
    }
}
