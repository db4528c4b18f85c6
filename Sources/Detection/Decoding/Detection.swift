import Tracking

/// One detected object: a box (x1, y1, x2, y2), its confidence and class index.
public struct Detection: Sendable, Equatable {
    public var x1: Float
    public var y1: Float
    public var x2: Float
    public var y2: Float
    public var confidence: Float
    public var classID: Int

    public init(x1: Float, y1: Float, x2: Float, y2: Float, confidence: Float, classID: Int) {
        self.x1 = x1
        self.y1 = y1
        self.x2 = x2
        self.y2 = y2
        self.confidence = confidence
        self.classID = classID
    }

    /// From a centre and size.
    init(cx: Float, cy: Float, w: Float, h: Float, confidence: Float, classID: Int) {
        self.init(
            x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2, confidence: confidence, classID: classID)
    }

    /// The corners as the project's box geometry.
    public var box: Box {
        get { Box(x1: Double(x1), y1: Double(y1), x2: Double(x2), y2: Double(y2)) }
        set {
            x1 = Float(newValue.x1)
            y1 = Float(newValue.y1)
            x2 = Float(newValue.x2)
            y2 = Float(newValue.y2)
        }
    }

    public func iou(_ other: Detection) -> Float {
        Float(box.iou(other.box))
    }
}

/// Greedy non-maximum suppression per class: the most confident box of a class suppresses every box of the same
/// class overlapping it by more than `iouThreshold`. Returns the kept boxes, most confident first.
public enum NonMaximumSuppression {
    public static func apply(_ detections: [Detection], iouThreshold: Float) -> [Detection] {
        let sorted = detections.sorted { $0.confidence > $1.confidence }
        var kept: [Detection] = []
        kept.reserveCapacity(sorted.count)
        for candidate in sorted
        where !kept.contains(where: { $0.classID == candidate.classID && $0.iou(candidate) > iouThreshold }) {
            kept.append(candidate)
        }
        return kept
    }
}
