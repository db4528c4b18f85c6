import AnalyticsCore
import Foundation

/// `model:` — the object detector. Detection runs when `path` is set; without it frames pass through with no tracks.
public struct ModelConfiguration: Sendable, Equatable {
    /// How the network's output is laid out.
    public enum Format: String, Sendable, CaseIterable {
        /// Darknet YOLOv4 / v4-tiny converted by scripts/darknet-to-ir.py: raw [1, A·(5+C), H, W] heads, anchors in
        /// the `.heads.json` file next to the model.
        case yolov4
        /// One output [1, boxes, 5 + classes]: cx, cy, w, h, objectness, class scores (YOLOv5/v7 exports).
        case yolov5
        /// One output [1, 4 + classes, boxes]: cx, cy, w, h, class scores (YOLOv8/v11 exports).
        case yolov8
    }

    /// How a frame is fitted into the network input.
    public enum Resize: String, Sendable, CaseIterable {
        /// Stretch each axis to the input size (what darknet models are trained with).
        case stretch
        /// Keep the aspect ratio and pad with grey (what YOLOv5/v8 models are trained with).
        case letterbox
    }

    /// The model file (OpenVINO IR `.xml` or `.onnx`), relative to the config file's folder; nil = no detector.
    public var path: String?
    public var format = Format.yolov4
    /// Class names, one per line (relative to the config file's folder); nil = the 80 COCO names.
    public var labelsPath: String?
    /// The class names in model order (from `labelsPath` or COCO).
    public var labels: [String] = COCOLabels.names
    /// OpenVINO device name.
    public var device = "CPU"
    /// Inference precision hint: nil = the device's default (bf16 on CPUs with AMX), or "f32", "bf16", "f16".
    public var precision: String?
    /// The network input in pixels (`input_size: 416` or `[width, height]`, multiples of 32).
    public var inputSize = InputSize.square(416)
    public var resize = Resize.stretch
    /// Detections below this confidence are discarded.
    public var confidenceThreshold: Double = 0.25
    /// IoU above which non-maximum suppression removes the weaker of two same-class boxes.
    public var nmsIoU: Double = 0.45
    /// Class names to keep (e.g. person, car); empty keeps all classes.
    public var classes: [String] = []
    /// Frames of different streams analysed in one inference request (1: one frame per request).
    public var batch = 1

    public init() {}

    /// Indices (into `labels`) of the classes kept; nil = all.
    public var classFilter: Set<Int>? {
        classes.isEmpty ? nil : Set(classes.compactMap { labels.firstIndex(of: $0) })
    }

    public static let keys = [
        "path", "format", "labels", "device", "precision", "input_size", "resize", "confidence_threshold", "nms_iou",
        "classes", "batch",
    ]

    public init(_ section: YAMLSection, baseDirectory: String) throws(ConfigurationError) {
        let base = URL(fileURLWithPath: baseDirectory, isDirectory: true)
        func resolved(_ path: String) -> String {
            path.hasPrefix("/") ? path : URL(fileURLWithPath: path, relativeTo: base).standardizedFileURL.path
        }
        path = try section.optionalString("path").map(resolved)
        if let path, !FileManager.default.fileExists(atPath: path) {
            throw section.error(
                "path", "\(path) does not exist; run scripts/model.sh install (make setup) or fix the path")
        }
        let formatName = try section.string("format", default: format.rawValue)
        guard let format = Format(rawValue: formatName) else {
            throw section.error(
                "format", "got '\(formatName)'; allowed: \(Format.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.format = format
        labelsPath = try section.optionalString("labels").map(resolved)
        if let labelsPath {
            guard let text = try? String(contentsOfFile: labelsPath, encoding: .utf8) else {
                throw section.error(
                    "labels", "cannot read \(labelsPath); allowed: a text file with one class name per line")
            }
            labels = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
            guard !labels.isEmpty else { throw section.error("labels", "\(labelsPath) has no class names") }
        }
        device = try section.string("device", default: device)
        precision = try section.optionalString("precision")
        if let precision, !["f32", "bf16", "f16"].contains(precision) {
            throw section.error(
                "precision", "got '\(precision)'; allowed: f32, bf16 or f16 (leave it out for the device default)")
        }
        if let size = try section.size(
            "input_size",
            allowed: "a multiple of 32 from 64 to 2048, or [width, height] of two, e.g. 416 or [416, 320]",
            side: { (64...2048).contains($0) && $0 % 32 == 0 })
        {
            inputSize = InputSize(width: size.width, height: size.height)
        }
        // Each format's models are trained with one way of resizing; that is the default.
        let resizeName = try section.string("resize", default: format == .yolov4 ? "stretch" : "letterbox")
        guard let resize = Resize(rawValue: resizeName) else {
            throw section.error("resize", "got '\(resizeName)'; allowed: stretch or letterbox")
        }
        self.resize = resize
        confidenceThreshold = try section.double("confidence_threshold", default: confidenceThreshold, in: 0...1)
        nmsIoU = try section.double("nms_iou", default: nmsIoU, in: 0...1)
        classes = try section.stringList("classes")
        batch = try section.int("batch", default: batch, in: 1...16, unit: " frames per inference")
        for name in classes where !labels.contains(name) {
            throw section.error("classes", COCOLabels.unknownClass(name, in: labels))
        }
    }
}
