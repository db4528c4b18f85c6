/// The 80 COCO class names in the order COCO-trained YOLO models number them.
public enum COCOLabels {
    public static let names = [
        "person", "bicycle", "car", "motorbike", "aeroplane", "bus", "train", "truck", "boat", "traffic light",
        "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
        "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
        "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
        "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
        "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "sofa",
        "pottedplant", "bed", "diningtable", "toilet", "tvmonitor", "laptop", "mouse", "remote", "keyboard",
        "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
        "teddy bear", "hair drier", "toothbrush",
    ]

    /// COCO's usual names (and Ultralytics') for the classes darknet's label file spells its own way.
    public static let darknetAliases = [
        "motorcycle": "motorbike", "airplane": "aeroplane", "couch": "sofa", "tv": "tvmonitor",
        "potted plant": "pottedplant", "dining table": "diningtable",
    ]

    /// The message for a class name that `labels` lacks, with the label file's own name for it or the closest one.
    public static func unknownClass(_ name: String, in labels: [String]) -> String {
        var message = "got '\(name)'; allowed: a class name of the model's labels"
        if let alias = darknetAliases[name.lowercased()], labels.contains(alias) {
            message += "; did you mean '\(alias)' (this label file's name for it)?"
        } else if let suggestion = KeySuggestion.closest(to: name, in: labels) {
            message += "; did you mean '\(suggestion)'?"
        }
        return message
    }
}
