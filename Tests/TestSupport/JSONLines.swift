import Foundation

/// Reads the pipeline's JSON-lines output in tests.
public enum JSONLines {
    /// Every complete line of `url` parsed as a JSON object (a partially written last line is ignored).
    public static func read(_ url: URL) -> [[String: Any]] {
        guard let data = try? Data(contentsOf: url) else { return [] }
        var objects: [[String: Any]] = []
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: true) {
            if let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] {
                objects.append(object)
            }
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
