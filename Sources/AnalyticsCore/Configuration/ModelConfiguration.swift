import Foundation
import Tracking

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

    static let keys = [
        "path", "format", "labels", "device", "precision", "input_size", "resize", "confidence_threshold", "nms_iou",
        "classes", "batch",
    ]

    init(_ section: YAMLSection, baseDirectory: String) throws(ConfigurationError) {
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
        inputSize = try section.inputSize("input_size", default: inputSize)
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

/// `tracker:` — ByteTrack parameters; one tracker per stream, updated on every detected frame. Defaults are the
/// tracker's own (`ByteTracker.Parameters`, where each is explained).
public struct TrackerConfiguration: Sendable, Equatable {
    private static let defaults = ByteTracker.Parameters()
    /// false publishes the raw detections with track id -1 (no tracking).
    public var enabled = true
    /// Detections at or above this score take part in the first association.
    public var highThreshold = defaults.highThreshold
    /// Detections between this and `highThreshold` take part in the second association only.
    public var lowThreshold = defaults.lowThreshold
    /// An unmatched detection starts a new track only at or above this score.
    public var newTrackThreshold = defaults.newTrackThreshold
    /// How long a lost track is kept for re-identification, in seconds.
    public var lostTrackSeconds = defaults.lostTrackSeconds
    /// A new track from a detection at or above this score is published at once (1: on its second match).
    public var confirmAtOnceScore = defaults.confirmAtOnceScore
    /// Growth of the distance gate, in track heights per second since the track was seen (0: IoU pairing only).
    public var distanceGatePerSecond = defaults.distanceGatePerSecond
    /// A track is published only while the mean score of its detections is at least this (0: every track).
    public var publishMinimumScore = defaults.publishMinimumScore

    /// The tracker's parameters with this section's values.
    public var parameters: ByteTracker.Parameters {
        var parameters = ByteTracker.Parameters()
        parameters.highThreshold = highThreshold
        parameters.lowThreshold = lowThreshold
        parameters.newTrackThreshold = newTrackThreshold
        parameters.lostTrackSeconds = lostTrackSeconds
        parameters.confirmAtOnceScore = confirmAtOnceScore
        parameters.distanceGatePerSecond = distanceGatePerSecond
        parameters.publishMinimumScore = publishMinimumScore
        return parameters
    }

    public init() {}

    static let keys = [
        "enabled", "high_threshold", "low_threshold", "new_track_threshold", "lost_track_s", "confirm_at_once_score",
        "distance_gate_per_s", "publish_min_score",
    ]

    init(_ section: YAMLSection) throws(ConfigurationError) {
        enabled = try section.bool("enabled", default: enabled)
        highThreshold = try section.double("high_threshold", default: highThreshold, in: 0...1)
        lowThreshold = try section.double("low_threshold", default: lowThreshold, in: 0...1)
        guard lowThreshold <= highThreshold else {
            throw section.error(
                "low_threshold", "got \(lowThreshold); allowed: at most high_threshold (\(highThreshold))")
        }
        newTrackThreshold = try section.double("new_track_threshold", default: newTrackThreshold, in: 0...1)
        lostTrackSeconds = try section.double("lost_track_s", default: lostTrackSeconds, in: 0...3600, unit: " s")
        confirmAtOnceScore = try section.double("confirm_at_once_score", default: confirmAtOnceScore, in: 0...1)
        distanceGatePerSecond = try section.double("distance_gate_per_s", default: distanceGatePerSecond, in: 0...10)
        publishMinimumScore = try section.double("publish_min_score", default: publishMinimumScore, in: 0...1)
    }
}

/// `dashboard:` — the web dashboard, in its own process or embedded in the pipeline.
public struct DashboardConfiguration: Sendable, Equatable {
    /// Serve the dashboard from inside the pipeline process (no Kafka needed).
    public var enabled = false
    /// Address to bind; loopback unless the dashboard should be reachable from other machines.
    public var host = "127.0.0.1"
    /// TCP port of the dashboard.
    public var port = 8080
    /// When set, required on every HTTP request (except /healthz) and WebSocket, as `Authorization: Bearer TOKEN`
    /// or `?token=TOKEN`.
    public var accessToken: String?
    /// Kafka consumer group of the dashboard process (instances in one group share the partitions).
    public var groupID = "realtime-analytics-dashboard"
    /// Where a new consumer group starts: the newest messages (live view) or the oldest the broker keeps.
    public var startAtNewest = true
    /// A stream with no message for this long is shown as stale.
    public var staleAfterSeconds: Double = 3
    /// A stream with no message for this long is shown as offline.
    public var offlineAfterSeconds: Double = 15
    /// Replay sessions (one per browser looking back) open at once; each holds a Kafka consumer and a board.
    public var replayMaxSessions = 4
    /// A replay paused for this long is closed (its consumer freed).
    public var replayIdleTimeoutSeconds: Double = 600

    public init() {}

    static let keys = [
        "enabled", "host", "port", "access_token", "group_id", "start_at", "stale_after_s", "offline_after_s",
        "replay_max_sessions", "replay_idle_timeout_s",
    ]

    init(_ section: YAMLSection) throws(ConfigurationError) {
        enabled = try section.bool("enabled", default: enabled)
        host = try section.string("host", default: host)
        port = try section.int("port", default: port, in: 1...65535)
        accessToken = try section.optionalString("access_token")
        groupID = try section.string("group_id", default: groupID)
        let startAt = try section.string("start_at", default: "newest")
        guard startAt == "newest" || startAt == "oldest" else {
            throw section.error("start_at", "got '\(startAt)'; allowed: newest or oldest")
        }
        startAtNewest = startAt == "newest"
        staleAfterSeconds = try section.double("stale_after_s", default: staleAfterSeconds, in: 0.1...3600, unit: " s")
        offlineAfterSeconds = try section.double(
            "offline_after_s", default: offlineAfterSeconds, in: 0.1...86400, unit: " s")
        replayMaxSessions = try section.int("replay_max_sessions", default: replayMaxSessions, in: 0...64)
        replayIdleTimeoutSeconds = try section.double(
            "replay_idle_timeout_s", default: replayIdleTimeoutSeconds, in: 1...86400, unit: " s")
        guard offlineAfterSeconds > staleAfterSeconds else {
            throw section.error(
                "offline_after_s", "got \(offlineAfterSeconds); allowed: more than stale_after_s (\(staleAfterSeconds))"
            )
        }
    }
}

/// `preview:` — the JPEG previews attached to messages when `include_frames` is on.
public struct PreviewConfiguration: Sendable, Equatable {
    /// Previews are downscaled to at most this width (0 = the working width).
    public var maxWidth = 640
    /// At least this long between two previews of one stream; messages in between carry no preview.
    public var minIntervalMs = 0

    public init() {}

    static let keys = ["max_width", "min_interval_ms"]

    init(_ section: YAMLSection) throws(ConfigurationError) {
        maxWidth = try section.int("max_width", default: maxWidth, in: 0...7680, unit: " pixels (0 = working width)")
        minIntervalMs = try section.int("min_interval_ms", default: minIntervalMs, in: 0...3_600_000, unit: " ms")
    }
}

/// `output:` — local sinks besides Kafka.
public struct OutputConfiguration: Sendable, Equatable {
    /// Write every frame result as one JSON line.
    public var jsonlEnabled = false
    /// Where JSON lines go: a file path (relative to the config file's folder) or `-` for stdout.
    public var jsonlPath = "-"
    /// Results waiting to be written; when full, the newest result is dropped and counted.
    public var jsonlQueueCapacity = 4096

    public init() {}

    static let keys = ["jsonl"]
    static let jsonlKeys = ["enabled", "path", "queue_capacity"]

    init(_ section: YAMLSection, baseDirectory: String) throws(ConfigurationError) {
        let jsonl = try section.section("jsonl", allowedKeys: Self.jsonlKeys)
        jsonlEnabled = try jsonl.bool("enabled", default: jsonlEnabled)
        let path = try jsonl.string("path", default: jsonlPath)
        jsonlPath =
            path == "-" || path.hasPrefix("/")
            ? path
            : URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: baseDirectory, isDirectory: true))
                .standardizedFileURL.path
        jsonlQueueCapacity = try jsonl.int("queue_capacity", default: jsonlQueueCapacity, in: 1...1_000_000)
    }
}
