import AnalyticsCore
import Foundation

/// The detector model, loaded and compiled once and shared by the workers: each worker makes its own
/// `ObjectDetector` (an infer request plus scratch memory) on its own thread.
public final class DetectorModel: Sendable {
    public let configuration: ModelConfiguration
    public let compiled: CompiledModel
    let decoder: any YOLODecoder
    /// For each decoder output, its index among the compiled model's outputs.
    let outputOrder: [Int]

    /// Compiles `configuration.path` for `workers` parallel requests. Throws a one-line, actionable error.
    public init(configuration: ModelConfiguration, workers: Int) throws {
        guard let path = configuration.path else { throw DetectionError("model.path is not set") }
        self.configuration = configuration
        var options = CompiledModel.Options(path: path)
        options.device = configuration.device
        options.precision = configuration.precision
        options.inputSize = configuration.inputSize
        options.streams = max(1, workers)
        compiled = try CompiledModel(options)
        let names = compiled.outputs.map(\.name)
        switch configuration.format {
        case .yolov4:
            let headsPath = URL(fileURLWithPath: path).deletingPathExtension().path + ".heads.json"
            let decoder = try DarknetYOLODecoder(headsFile: headsPath)
            var order: [Int] = []
            for head in decoder.heads {
                guard let index = names.firstIndex(of: head.output) else {
                    throw DetectionError("\(path) has no output '\(head.output)' (outputs: \(names.joined(separator: ", "))); convert it again with scripts/model.sh install")
                }
                let shape = compiled.outputs[index].shape
                guard shape.count == 4, shape[1] == head.anchors.count * (5 + head.classes) else {
                    throw DetectionError("\(path): output \(head.output) has shape \(shape), not [1, \(head.anchors.count * (5 + head.classes)), H, W]; is model.format right?")
                }
                guard head.classes == configuration.labels.count else {
                    throw DetectionError("\(path) has \(head.classes) classes but the labels list \(configuration.labels.count); set model.labels to the model's names file")
                }
                order.append(index)
            }
            self.decoder = decoder
            outputOrder = order
        case .yolov5, .yolov8:
            guard compiled.outputs.count == 1, compiled.outputs[0].shape.count == 3 else {
                throw DetectionError("\(path) has outputs \(compiled.outputs.map(\.shape)); model.format \(configuration.format.rawValue) needs one output of rank 3")
            }
            let shape = compiled.outputs[0].shape
            let classes = configuration.format == .yolov5 ? shape[2] - 5 : shape[1] - 4
            guard classes == configuration.labels.count else {
                throw DetectionError("\(path): output \(shape) holds \(classes) classes as \(configuration.format.rawValue) but the labels list \(configuration.labels.count); check model.format and model.labels")
            }
            decoder = configuration.format == .yolov5 ? YOLOv5Decoder() as any YOLODecoder : YOLOv8Decoder()
            outputOrder = [0]
        }
    }

    /// A detector for the calling worker thread (its first inference runs now, so the worker starts warm).
    public func makeDetector() throws -> ObjectDetector {
        try ObjectDetector(model: self, request: compiled.makeRequest())
    }
}

/// One worker's detector: frame in, boxes in frame pixels out. Blocking (inference); used by one thread.
public final class ObjectDetector {
    private let model: DetectorModel
    private let request: InferRequest
    private let writer: InputWriter
    private let outputs: [UnsafeBufferPointer<Float>]
    private let shapes: [[Int]]
    private let classFilter: Set<Int>?
    private var candidates: [Detection] = []

    init(model: DetectorModel, request: InferRequest) {
        self.model = model
        self.request = request
        let configuration = model.configuration
        writer = InputWriter(inputSize: configuration.inputSize, resize: configuration.resize)
        outputs = model.outputOrder.map { request.outputs[$0] }
        shapes = model.outputOrder.map { request.outputShapes[$0] }
        classFilter = configuration.classFilter
        candidates.reserveCapacity(1024)
    }

    /// Objects in `frame`, most confident first, boxes in frame pixels (clipped).
    public func detect(_ frame: PixelBuffer) throws -> [Detection] {
        let geometry = try writer.write(frame, into: request.input)
        try request.infer()
        let configuration = model.configuration
        candidates.removeAll(keepingCapacity: true)
        model.decoder.decode(
            outputs: outputs, shapes: shapes, confidenceThreshold: Float(configuration.confidenceThreshold),
            classFilter: classFilter, into: &candidates)
        return NonMaximumSuppression.apply(candidates, iouThreshold: Float(configuration.nmsIoU)).map(geometry.toFrame)
    }
}
