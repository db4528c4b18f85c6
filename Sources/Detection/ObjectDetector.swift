import AnalyticsCore
import Foundation
import VideoFrames

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
        options.batch = configuration.batch
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
                    throw DetectionError(
                        "\(path) has no output '\(head.output)' (outputs: \(names.joined(separator: ", "))); convert it again with scripts/model.sh install"
                    )
                }
                let shape = compiled.outputs[index].shape
                guard shape.count == 4, shape[1] == head.anchors.count * (5 + head.classes) else {
                    throw DetectionError(
                        "\(path): output \(head.output) has shape \(shape), not [1, \(head.anchors.count * (5 + head.classes)), H, W]; is model.format right?"
                    )
                }
                guard head.classes == configuration.labels.count else {
                    throw DetectionError(
                        "\(path) has \(head.classes) classes but the labels list \(configuration.labels.count); set model.labels to the model's names file"
                    )
                }
                order.append(index)
            }
            self.decoder = decoder
            outputOrder = order
        case .yolov5, .yolov8:
            guard compiled.outputs.count == 1, compiled.outputs[0].shape.count == 3 else {
                throw DetectionError(
                    "\(path) has outputs \(compiled.outputs.map(\.shape)); model.format \(configuration.format.rawValue) needs one output of rank 3"
                )
            }
            let shape = compiled.outputs[0].shape
            let classes = configuration.format == .yolov5 ? shape[2] - 5 : shape[1] - 4
            guard classes == configuration.labels.count else {
                throw DetectionError(
                    "\(path): output \(shape) holds \(classes) classes as \(configuration.format.rawValue) but the labels list \(configuration.labels.count); check model.format and model.labels"
                )
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

/// One worker's detector: frames in, boxes in frame pixels out. Blocking (inference); used by one thread.
public final class ObjectDetector {
    private let model: DetectorModel
    private let request: InferRequest
    /// One per batch slot: each caches its own geometry and grey padding.
    private let writers: [InputWriter]
    /// Per batch slot, the outputs of that slot's frame, shaped as a batch of one.
    private let outputs: [[UnsafeBufferPointer<Float>]]
    private let shapes: [[Int]]
    private let classFilter: Set<Int>?
    private var candidates: [Detection] = []

    /// Frames one inference takes (`model.batch`).
    public var batchSize: Int { writers.count }

    init(model: DetectorModel, request: InferRequest) {
        self.model = model
        self.request = request
        let configuration = model.configuration
        let batch = max(1, configuration.batch)
        writers = (0..<batch).map { _ in InputWriter(inputSize: configuration.inputSize, resize: configuration.resize) }
        let whole = model.outputOrder.map { request.outputs[$0] }
        outputs = (0..<batch).map { slot in
            whole.map { output in
                let count = output.count / batch
                return UnsafeBufferPointer(rebasing: output[(slot * count)..<((slot + 1) * count)])
            }
        }
        shapes = model.outputOrder.map { [1] + request.outputShapes[$0].dropFirst() }
        classFilter = configuration.classFilter
        candidates.reserveCapacity(1024)
    }

    /// Objects in `frame`, most confident first, boxes in the frame's working pixels (clipped).
    public func detect(_ frame: Frame) throws -> [Detection] {
        try detect([frame])[0]
    }

    /// Objects in each of up to `batchSize` frames, in one inference (slots without a frame are computed but unread).
    public func detect(_ frames: [Frame]) throws -> [[Detection]] {
        precondition(!frames.isEmpty && frames.count <= batchSize, "1 to \(batchSize) frames per inference")
        let perFrame = request.input.count / batchSize
        var geometries: [InputGeometry] = []
        geometries.reserveCapacity(frames.count)
        for (slot, frame) in frames.enumerated() {
            let input = UnsafeMutableBufferPointer(rebasing: request.input[(slot * perFrame)..<((slot + 1) * perFrame)])
            geometries.append(try writers[slot].write(frame, into: input))
        }
        try request.infer()
        let configuration = model.configuration
        return geometries.enumerated().map { slot, geometry in
            candidates.removeAll(keepingCapacity: true)
            model.decoder.decode(
                outputs: outputs[slot], shapes: shapes, confidenceThreshold: Float(configuration.confidenceThreshold),
                classFilter: classFilter, into: &candidates)
            return NonMaximumSuppression.apply(candidates, iouThreshold: Float(configuration.nmsIoU))
                .map(geometry.toFrame)
        }
    }
}
