import ArgumentParser
import Foundation
import Messages
import Tracking

/// Live fidelity: what the pipeline published for looping copies of a clip, scored against a full-rate reference
/// analysis of that clip (scripts/fidelity-reference.py) at the frames each stream published.
struct LiveFidelityScore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fidelity",
        abstract:
            "Score a pipeline's JSON-lines output against a full-rate reference of the clip its streams loop over.")

    @Option(help: "Reference tracks of the clip (MOTChallenge rows, frames 1…N, in the pipeline's pixel space).")
    var reference = "var/fidelity/vtest-reference.txt"
    @Option(help: "The pipeline's JSON-lines output.") var published = "var/sample-output.jsonl"
    @Option(help: "Frames in the clip (frame_id modulo this is the clip frame); 0 = the reference's last frame.")
    var clipFrames = 0
    @Option(help: "Only streams whose id starts with this are scored (the ones showing the clip).")
    var streamPrefix = "vtest-"
    @Option(help: "Class id scored (the reference's class).") var classID = 0
    @Option(help: "Seconds after the first message left out (start-up).") var skipSeconds = 10.0
    @Option(help: "Seconds scored after the skipped start (0 = to the end of the file).") var seconds = 0.0
    @Option(help: "Also write the figures as JSON to this file.") var json: String?

    func run() throws {
        let truth = try MOTChallenge.read(path: reference)
        let frames = clipFrames > 0 ? clipFrames : (truth.map(\.frame).max() ?? 0)
        guard frames > 0 else {
            throw ValidationError("\(reference) holds no reference rows; make it with scripts/fidelity-reference.py")
        }
        guard let data = FileManager.default.contents(atPath: published) else {
            throw ValidationError("cannot read \(published); run the pipeline with output.jsonl enabled first")
        }
        var messages: [FrameResult] = []
        let eventKey = Array(#""event":"#.utf8)
        for (number, line) in data.split(separator: 0x0A).enumerated() {
            // Zone and line events share the file (after their frame); only frame messages are scored. A key is the
            // only place the bytes "event": can appear (quotes inside JSON strings are escaped).
            if line.firstRange(of: eventKey) != nil { continue }
            do {
                messages.append(try FrameMessageDecoder.decode(line).result)
            } catch {
                throw ValidationError("\(published):\(number + 1): \(error.description)")
            }
        }
        guard let firstMs = messages.map(\.timestampMs).min() else {
            throw ValidationError("\(published) holds no messages")
        }
        let startMs = firstMs + Int64(skipSeconds * 1000)
        let lastMs = messages.map(\.timestampMs).max() ?? startMs
        let endMs = seconds > 0 ? startMs + Int64(seconds * 1000) : lastMs
        let window = messages.filter { $0.timestampMs >= startMs && $0.timestampMs <= endMs }
        let duration = Double(endMs - startMs) / 1000
        guard duration > 0, !window.isEmpty else {
            throw ValidationError("no messages after the first \(skipSeconds) s of \(published)")
        }
        let scored = window.filter { $0.streamID.hasPrefix(streamPrefix) }
        let publications = scored.map { result in
            LiveFidelity.Publication(
                stream: result.streamID, frameID: result.frameID,
                tracks: result.tracks.filter { $0.classID == classID }.map {
                    MOTEntry(
                        frame: 0, id: $0.trackID,
                        box: Box(x1: Double($0.x1), y1: Double($0.y1), x2: Double($0.x2), y2: Double($0.y2)),
                        confidence: Double($0.confidence))
                })
        }
        let score = LiveFidelity.score(reference: truth, clipFrames: frames, publications: publications)
        let streams = Set(scored.map(\.streamID)).count
        let m = score.overall
        let figures: [(String, Double)] = [
            ("detections_per_s", Double(window.count) / duration),
            ("looks_per_camera_per_s", Double(scored.count) / duration / Double(max(1, streams))),
            ("recall", m.recall), ("precision", m.precision), ("mota", m.mota), ("idf1", m.idf1),
            ("switches_per_100_objects", score.switchesPer100Objects),
        ]
        print(
            String(
                format:
                    "live fidelity over %.0f s (%d %@* streams, %d messages scored of %d): %.1f detections/s, %.2f looks per camera per s; recall %.3f, precision %.3f, MOTA %.3f, IDF1 %.3f, %.1f switches per 100 reference objects (%d switches, %d objects, %d misses, %d false positives)",
                duration, streams, streamPrefix, scored.count, window.count, figures[0].1, figures[1].1, m.recall,
                m.precision, m.mota, m.idf1, score.switchesPer100Objects, m.switches, m.uniqueObjects, m.misses,
                m.falsePositives))
        if let json {
            let object = Dictionary(uniqueKeysWithValues: figures.map { ($0.0, $0.1.isFinite ? $0.1 : -1) })
            try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(
                to: URL(fileURLWithPath: json))
        }
    }
}
