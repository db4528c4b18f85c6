/// The network input in pixels, each side a multiple of 32 (YOLO's largest stride). Square by default; a
/// rectangular input that follows the cameras' aspect ratio (416x320 for 4:3) spends no compute on padding or on
/// stretching the short side.
public struct InputSize: Sendable, Equatable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public static func square(_ side: Int) -> InputSize { InputSize(width: side, height: side) }

    /// Bytes of one frame's planar 8-bit RGB input.
    public var planeCount: Int { width * height }

    public var description: String { width == height ? "\(width)" : "\(width)x\(height)" }
}
