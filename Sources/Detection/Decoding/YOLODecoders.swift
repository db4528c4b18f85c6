import Foundation

/// Turns a network's raw outputs into boxes in network-input pixels, above a confidence threshold and inside the
/// class filter. Non-maximum suppression and mapping back to the frame happen afterwards.
public protocol YOLODecoder: Sendable {
    func decode(
        outputs: [UnsafeBufferPointer<Float>], shapes: [[Int]], confidenceThreshold: Float, classFilter: Set<Int>?,
        into detections: inout [Detection])
}

@inline(__always) func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

/// Darknet YOLOv4 heads as converted by scripts/darknet-to-ir.py: per head, [1, A·(5+C), H, W] raw values.
/// box centre = (sigmoid(t)·s − (s−1)/2 + cell) · stride, size = exp(t) · anchor (input pixels),
/// score = sigmoid(objectness) · sigmoid(class). Like darknet, every class above the threshold is reported.
public struct DarknetYOLODecoder: YOLODecoder {
    public struct Head: Sendable, Equatable, Decodable {
        public var output: String
        public var stride: Int
        /// (w, h) in input pixels.
        public var anchors: [[Float]]
        public var scaleXY: Float
        public var classes: Int

        enum CodingKeys: String, CodingKey {
            case output, stride, anchors, classes
            case scaleXY = "scale_x_y"
        }

        public init(output: String, stride: Int, anchors: [[Float]], scaleXY: Float, classes: Int) {
            self.output = output
            self.stride = stride
            self.anchors = anchors
            self.scaleXY = scaleXY
            self.classes = classes
        }
    }

    /// Heads in output order.
    public let heads: [Head]

    public init(heads: [Head]) {
        self.heads = heads
    }

    /// Reads the `.heads.json` description written next to the model by the converter.
    public init(headsFile path: String) throws(DetectionError) {
        struct File: Decodable { var heads: [Head] }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DetectionError(
                "\(path) is missing: a yolov4 model needs the .heads.json file the converter writes next to it (scripts/model.sh install)"
            )
        }
        do {
            heads = try JSONDecoder().decode(File.self, from: data).heads
        } catch {
            throw DetectionError("\(path): not a heads description (\(error))")
        }
        guard !heads.isEmpty else { throw DetectionError("\(path) lists no heads") }
    }

    public func decode(
        outputs: [UnsafeBufferPointer<Float>], shapes: [[Int]], confidenceThreshold: Float, classFilter: Set<Int>?,
        into detections: inout [Detection]
    ) {
        for (index, head) in heads.enumerated() where index < outputs.count {
            let shape = shapes[index]
            let height = shape[2], width = shape[3]
            let cells = height * width
            let values = outputs[index]
            let attributes = 5 + head.classes
            let scale = head.scaleXY, shift = (head.scaleXY - 1) / 2
            let stride = Float(head.stride)
            for (anchor, size) in head.anchors.enumerated() {
                let base = anchor * attributes * cells
                for y in 0..<height {
                    for x in 0..<width {
                        let cell = y * width + x
                        let objectness = sigmoid(values[base + 4 * cells + cell])
                        guard objectness >= confidenceThreshold else { continue }
                        let cx = (sigmoid(values[base + cell]) * scale - shift + Float(x)) * stride
                        let cy = (sigmoid(values[base + cells + cell]) * scale - shift + Float(y)) * stride
                        let w = expf(values[base + 2 * cells + cell]) * size[0]
                        let h = expf(values[base + 3 * cells + cell]) * size[1]
                        for c in 0..<head.classes {
                            let score = objectness * sigmoid(values[base + (5 + c) * cells + cell])
                            guard score >= confidenceThreshold, classFilter?.contains(c) ?? true else { continue }
                            detections.append(Detection(cx: cx, cy: cy, w: w, h: h, confidence: score, classID: c))
                        }
                    }
                }
            }
        }
    }
}

/// YOLOv5/v7-style single output [1, boxes, 5 + C]: cx, cy, w, h (input pixels), objectness, class scores
/// (already sigmoid-activated in the exported graph). Score = objectness · best class score.
public struct YOLOv5Decoder: YOLODecoder {
    public init() {}

    public func decode(
        outputs: [UnsafeBufferPointer<Float>], shapes: [[Int]], confidenceThreshold: Float, classFilter: Set<Int>?,
        into detections: inout [Detection]
    ) {
        guard let values = outputs.first, let shape = shapes.first, shape.count == 3 else { return }
        let boxes = shape[1], attributes = shape[2], classes = attributes - 5
        guard classes > 0 else { return }
        for box in 0..<boxes {
            let row = box * attributes
            let objectness = values[row + 4]
            guard objectness >= confidenceThreshold else { continue }
            var best = -1, bestScore: Float = 0
            for c in 0..<classes where classFilter?.contains(c) ?? true {
                if values[row + 5 + c] > bestScore {
                    bestScore = values[row + 5 + c]
                    best = c
                }
            }
            let score = objectness * bestScore
            guard best >= 0, score >= confidenceThreshold else { continue }
            detections.append(
                Detection(
                    cx: values[row], cy: values[row + 1], w: values[row + 2], h: values[row + 3], confidence: score,
                    classID: best))
        }
    }
}

/// YOLOv8/v11-style single output [1, 4 + C, boxes]: cx, cy, w, h (input pixels), then class scores, attribute-major.
/// Score = best class score.
public struct YOLOv8Decoder: YOLODecoder {
    public init() {}

    public func decode(
        outputs: [UnsafeBufferPointer<Float>], shapes: [[Int]], confidenceThreshold: Float, classFilter: Set<Int>?,
        into detections: inout [Detection]
    ) {
        guard let values = outputs.first, let shape = shapes.first, shape.count == 3 else { return }
        let attributes = shape[1], boxes = shape[2], classes = attributes - 4
        guard classes > 0 else { return }
        for box in 0..<boxes {
            var best = -1, bestScore: Float = 0
            for c in 0..<classes where classFilter?.contains(c) ?? true {
                let score = values[(4 + c) * boxes + box]
                if score > bestScore {
                    bestScore = score
                    best = c
                }
            }
            guard best >= 0, bestScore >= confidenceThreshold else { continue }
            detections.append(
                Detection(
                    cx: values[box], cy: values[boxes + box], w: values[2 * boxes + box], h: values[3 * boxes + box],
                    confidence: bestScore, classID: best))
        }
    }
}
