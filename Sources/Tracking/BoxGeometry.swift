/// An axis-aligned box in pixels, corners (x1, y1) top-left and (x2, y2) bottom-right: the project's one box
/// geometry (IoU, clipping). Detections and published tracks keep their corners as Float fields (the wire format's
/// precision) and reach this geometry through their `box`.
public struct Box: Sendable, Equatable {
    public var x1: Double, y1: Double, x2: Double, y2: Double

    public init(x1: Double, y1: Double, x2: Double, y2: Double) {
        self.x1 = x1
        self.y1 = y1
        self.x2 = x2
        self.y2 = y2
    }

    public var width: Double { x2 - x1 }
    public var height: Double { y2 - y1 }
    public var area: Double { max(0, width) * max(0, height) }
    public var center: (x: Double, y: Double) { ((x1 + x2) / 2, (y1 + y2) / 2) }

    /// Center x, center y, aspect ratio (w/h), height: the Kalman filter's measurement.
    public var xyah: SIMD4<Double> {
        SIMD4((x1 + x2) / 2, (y1 + y2) / 2, height > 0 ? width / height : 0, height)
    }

    public init(xyah: SIMD4<Double>) {
        let w = xyah[2] * xyah[3], h = xyah[3]
        self.init(x1: xyah[0] - w / 2, y1: xyah[1] - h / 2, x2: xyah[0] + w / 2, y2: xyah[1] + h / 2)
    }

    /// The part of the box inside a `width` x `height` image (corners clamped to it).
    public func clipped(width: Double, height: Double) -> Box {
        Box(
            x1: min(max(x1, 0), width), y1: min(max(y1, 0), height), x2: min(max(x2, 0), width),
            y2: min(max(y2, 0), height))
    }

    /// Intersection over union; 0 for boxes without area.
    public func iou(_ other: Box) -> Double {
        let w = min(x2, other.x2) - max(x1, other.x1)
        let h = min(y2, other.y2) - max(y1, other.y1)
        guard w > 0, h > 0 else { return 0 }
        let intersection = w * h
        let union = area + other.area - intersection
        return union > 0 ? intersection / union : 0
    }
}
