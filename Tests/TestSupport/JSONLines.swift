import Foundation

/// Reads the pipeline's JSON-lines output in tests.
public enum JSONLines {
    /// A line of the file that is not one JSON object: the writer produced corrupt or interleaved output.
    public struct CorruptLine: Error, CustomStringConvertible {
        public var lineNumber: Int
        public var text: String
        public var description: String { "line \(lineNumber) is not a JSON object: \(text.prefix(200))" }
    }

    /// What an unterminated last line means.
    public enum Tail: Sendable {
        /// The writer exited cleanly: every line ends with a newline, and an unterminated one is corrupt.
        case mustBeComplete
        /// The writer is still running (or was killed): its last line may be half written and is ignored. Every
        /// newline-terminated line must still parse.
        case mayBePartial
    }

    /// Every line of `url` parsed as a JSON object; throws `CorruptLine` for the first line that is not one.
    /// A file that does not exist yet reads as no lines.
    public static func read(_ url: URL, tail: Tail = .mustBeComplete) throws -> [[String: Any]] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        let data = try Data(contentsOf: url)
        return try parse(data, tail: tail)
    }

    /// `read` over bytes already in memory.
    public static func parse(_ data: Data, tail: Tail = .mustBeComplete) throws -> [[String: Any]] {
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        // The text after the last newline: empty for a complete file, else a line still being written.
        let unterminated = lines.removeLast()
        if !unterminated.isEmpty && tail == .mustBeComplete { lines.append(unterminated) }
        var objects: [[String: Any]] = []
        objects.reserveCapacity(lines.count)
        for (number, line) in lines.enumerated() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw CorruptLine(lineNumber: number + 1, text: String(decoding: line, as: UTF8.self))
            }
            objects.append(object)
        }
        return objects
    }

    /// Frame ids per stream, in file order.
    public static func frameIDsByStream(_ objects: [[String: Any]]) -> [String: [Int]] {
        var result: [String: [Int]] = [:]
        for object in objects {
            guard let stream = object["stream"] as? String, let id = (object["frame_id"] as? NSNumber)?.intValue
            else { continue }
            result[stream, default: []].append(id)
        }
        return result
    }
}
