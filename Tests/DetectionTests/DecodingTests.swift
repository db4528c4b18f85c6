import AnalyticsCore
import Foundation
import Testing

@testable import Detection

@Suite("Detection post-processing", .timeLimit(.minutes(1)))
struct DecodingTests {
    @Test("NMS keeps the best box per overlapping cluster and class, and boxes of other classes")
    func nms() {
        let boxes = [
            Detection(x1: 0, y1: 0, x2: 100, y2: 100, confidence: 0.9, classID: 0),
            Detection(x1: 5, y1: 5, x2: 105, y2: 105, confidence: 0.8, classID: 0),  // IoU 0.82 with the first
            Detection(x1: 5, y1: 5, x2: 105, y2: 105, confidence: 0.7, classID: 2),  // other class: kept
            Detection(x1: 60, y1: 0, x2: 160, y2: 100, confidence: 0.85, classID: 0),  // IoU 0.25: kept
            Detection(x1: 300, y1: 300, x2: 310, y2: 310, confidence: 0.3, classID: 0),
        ]
        let kept = NonMaximumSuppression.apply(boxes, iouThreshold: 0.45)
        #expect(kept.map(\.confidence) == [0.9, 0.85, 0.7, 0.3])
        #expect(NonMaximumSuppression.apply(boxes, iouThreshold: 0.2).map(\.confidence) == [0.9, 0.7, 0.3])
        #expect(NonMaximumSuppression.apply([], iouThreshold: 0.5).isEmpty)
    }

    @Test(
        "letterbox and stretch: frame → input → frame round-trips, content centred, boxes clipped to the frame",
        arguments: [ModelConfiguration.Resize.letterbox, .stretch])
    func geometry(resize: ModelConfiguration.Resize) {
        for (width, height) in [(768, 576), (640, 360), (360, 640), (416, 416), (1920, 1080)] {
            let geometry = InputGeometry(frameWidth: width, frameHeight: height, input: .square(416), resize: resize)
            for (x, y) in [
                (0.0, 0.0), (Float(width), Float(height)), (123.5, 77.25), (Float(width) / 2, Float(height) / 3),
            ] {
                let input = geometry.toInput(x: Float(x), y: Float(y))
                #expect(input.x >= -0.01 && input.x <= 416.01 && input.y >= -0.01 && input.y <= 416.01)
                let back = geometry.toFrame(x: input.x, y: input.y)
                #expect(abs(back.x - Float(x)) < 1e-3 && abs(back.y - Float(y)) < 1e-3)
            }
            if resize == .letterbox {
                // Aspect ratio kept (within a pixel of rounding) and the bars split evenly.
                let aspect = Double(geometry.contentWidth) / Double(geometry.contentHeight)
                #expect(abs(aspect - Double(width) / Double(height)) < 0.01 * aspect)
                #expect(max(geometry.contentWidth, geometry.contentHeight) == 416)
                #expect(abs((416 - geometry.contentWidth) - 2 * geometry.offsetX) <= 1)
                #expect(abs((416 - geometry.contentHeight) - 2 * geometry.offsetY) <= 1)
            } else {
                #expect(geometry.contentWidth == 416 && geometry.contentHeight == 416 && geometry.offsetX == 0)
            }
            let outside = geometry.toFrame(Detection(x1: -50, y1: -20, x2: 500, y2: 450, confidence: 1, classID: 0))
            #expect(outside.x1 == 0 && outside.y1 == 0 && outside.x2 == Float(width) && outside.y2 == Float(height))
        }
    }

    /// A [1, 4 + C, A] tensor (YOLOv8 layout) with the given boxes (cx, cy, w, h, class, score); other scores 0.
    static func yolov8Tensor(anchors: Int, classes: Int, boxes: [(Float, Float, Float, Float, Int, Float)]) -> [Float] {
        var values = [Float](repeating: 0, count: (4 + classes) * anchors)
        for (i, box) in boxes.enumerated() {
            values[i] = box.0
            values[anchors + i] = box.1
            values[2 * anchors + i] = box.2
            values[3 * anchors + i] = box.3
            values[(4 + box.4) * anchors + i] = box.5
            // A weaker second class on the same anchor: only the best class is reported.
            values[(4 + (box.4 + 1) % classes) * anchors + i] = box.5 / 2
        }
        return values
    }

    @Test("YOLOv8 layout [1, 4+C, A]: boxes, best class, threshold and class filter")
    func yolov8() {
        let classes = 80, anchors = 8400
        let values = Self.yolov8Tensor(
            anchors: anchors, classes: classes,
            boxes: [
                (100, 120, 40, 80, 0, 0.9), (300, 200, 60, 30, 2, 0.6), (50, 50, 10, 10, 7, 0.2),
            ])
        let decoded = values.withUnsafeBufferPointer { buffer in
            var detections: [Detection] = []
            YOLOv8Decoder().decode(
                outputs: [buffer], shapes: [[1, 4 + classes, anchors]], confidenceThreshold: 0.25, classFilter: nil,
                into: &detections)
            return detections
        }
        #expect(
            decoded == [
                Detection(x1: 80, y1: 80, x2: 120, y2: 160, confidence: 0.9, classID: 0),
                Detection(x1: 270, y1: 185, x2: 330, y2: 215, confidence: 0.6, classID: 2),
            ])
        let filtered = values.withUnsafeBufferPointer { buffer in
            var detections: [Detection] = []
            YOLOv8Decoder().decode(
                outputs: [buffer], shapes: [[1, 4 + classes, anchors]], confidenceThreshold: 0.25, classFilter: [2],
                into: &detections)
            return detections
        }
        #expect(filtered.map(\.classID) == [2])
    }

    @Test("YOLOv5 layout [1, A, 5+C]: objectness times the best class score")
    func yolov5() throws {
        let classes = 80, anchors = 6300, attributes = 5 + classes
        var values = [Float](repeating: 0, count: anchors * attributes)
        func put(_ index: Int, _ box: [Float], objectness: Float, classID: Int, score: Float) {
            let row = index * attributes
            for (k, v) in box.enumerated() { values[row + k] = v }
            values[row + 4] = objectness
            values[row + 5 + classID] = score
            values[row + 5 + (classID + 3) % classes] = score / 3
        }
        put(10, [200, 100, 50, 100], objectness: 0.95, classID: 0, score: 0.9)  // 0.855
        put(5000, [20, 30, 10, 20], objectness: 0.5, classID: 5, score: 0.4)  // 0.2: below
        put(6299, [400, 300, 80, 40], objectness: 0.8, classID: 2, score: 0.5)  // 0.4
        let decoded = values.withUnsafeBufferPointer { buffer in
            var detections: [Detection] = []
            YOLOv5Decoder().decode(
                outputs: [buffer], shapes: [[1, anchors, attributes]], confidenceThreshold: 0.25, classFilter: nil,
                into: &detections)
            return detections
        }
        try #require(decoded.count == 2, "\(decoded)")
        #expect(decoded[0].classID == 0 && abs(decoded[0].confidence - 0.855) < 1e-6)
        #expect(decoded[0].x1 == 175 && decoded[0].y1 == 50 && decoded[0].x2 == 225 && decoded[0].y2 == 150)
        #expect(decoded[1].classID == 2 && abs(decoded[1].confidence - 0.4) < 1e-6 && decoded[1].x1 == 360)
    }

    @Test("darknet heads: a cell's raw values decode to the published formula")
    func darknet() throws {
        let head = DarknetYOLODecoder.Head(
            output: "h", stride: 32, anchors: [[81, 82], [135, 169]], scaleXY: 1.05, classes: 3)
        let (gridH, gridW) = (2, 3), cells = 6, attributes = 8
        var values = [Float](repeating: -10, count: 2 * attributes * cells)  // sigmoid(-10) ≈ 0: nothing
        // Anchor 1, cell (y 1, x 2): t = (0, 0.5, ln 0.5, 0), objectness logit 3, class 2 logit 2.
        let base = 1 * attributes * cells, cell = 1 * gridW + 2
        let raw: [Float] = [0, 0.5, logf(0.5), 0, 3, -10, -10, 2]
        for (k, v) in raw.enumerated() { values[base + k * cells + cell] = v }
        let decoded = values.withUnsafeBufferPointer { buffer in
            var detections: [Detection] = []
            DarknetYOLODecoder(heads: [head]).decode(
                outputs: [buffer], shapes: [[1, 2 * attributes, gridH, gridW]], confidenceThreshold: 0.25,
                classFilter: nil, into: &detections)
            return detections
        }
        try #require(decoded.count == 1, "\(decoded)")
        let s: (Float) -> Float = { 1 / (1 + expf(-$0)) }
        let cx = (s(0) * 1.05 - 0.025 + 2) * 32, cy = (s(0.5) * 1.05 - 0.025 + 1) * 32
        let w: Float = 0.5 * 135, h: Float = 169
        #expect(
            decoded.first
                == Detection(
                    x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2, confidence: s(3) * s(2), classID: 2)
        )
    }
}
