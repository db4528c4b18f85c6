import Foundation

/// One row of a MOTChallenge file: `frame, id, x, y, w, h, confidence, …` (1-based pixel coordinates).
public struct MOTEntry: Sendable, Equatable {
    public var frame: Int
    public var id: Int
    public var box: Box
    public var confidence: Double

    public init(frame: Int, id: Int, box: Box, confidence: Double) {
        self.frame = frame
        self.id = id
        self.box = box
        self.confidence = confidence
    }
}

/// Reads and writes MOTChallenge text files (ground truth, detections, tracker results).
public enum MOTChallenge {
    public struct FormatError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Rows in file order. Fields may be separated by commas and/or white space. Errors are one line naming the
    /// file (and the line and field when the content is wrong).
    public static func read(path: String) throws(FormatError) -> [MOTEntry] {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist"
            throw FormatError(description: "\(path) \(reason)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw FormatError(description: "\(path) is not UTF-8 text; expected MOTChallenge rows")
        }
        var entries: [MOTEntry] = []
        for (number, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            let texts = line.split { $0 == "," || $0 == " " || $0 == "\t" }
            var fields: [Double] = []
            for (index, field) in texts.enumerated() {
                guard let value = Double(field), value.isFinite else {
                    throw FormatError(
                        description: "\(path):\(number + 1): field \(index + 1) is '\(field)', not a number")
                }
                fields.append(value)
            }
            guard fields.count >= 6 else {
                throw FormatError(
                    description:
                        "\(path):\(number + 1): \(fields.count) fields; expected frame, id, x, y, w, h[, confidence, …]"
                )
            }
            // MOTChallenge boxes are 1-based; shifting is irrelevant to IoU but keeps pixel coordinates honest.
            let x = fields[2] - 1, y = fields[3] - 1
            entries.append(
                MOTEntry(
                    frame: Int(fields[0]), id: Int(fields[1]),
                    box: Box(x1: x, y1: y, x2: x + fields[4], y2: y + fields[5]),
                    confidence: fields.count > 6 ? fields[6] : 1))
        }
        return entries
    }

    /// Writes tracker results as `frame,id,x,y,w,h,confidence,-1,-1,-1`.
    public static func write(_ entries: [MOTEntry], to path: String) throws {
        var text = ""
        for entry in entries {
            let b = entry.box
            text +=
                "\(entry.frame),\(entry.id),\(b.x1 + 1),\(b.y1 + 1),\(b.width),\(b.height),\(entry.confidence),-1,-1,-1\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
