import ArgumentParser
import Foundation
import Tracking

extension RealtimeAnalytics {
    /// Runs the tracker over a MOTChallenge detection file and scores the result against ground truth.
    struct TrackMOT: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "track-mot",
            abstract: "Track a MOTChallenge detection file with ByteTrack and score it (MOTA, IDF1, …) against ground truth.")

        @Option(help: "Detections: frame, id (ignored), x, y, w, h, score[, …] per line.") var detections: String
        @Option(help: "Ground truth in MOTChallenge format.") var groundTruth: String
        @Option(help: "Frame rate of the sequence (frames are converted to seconds with it).") var fps = 25.0
        @Option(help: "Use the detections of every Nth frame only (subsampled detection).") var every = 1
        @Option(help: "Write the tracker's output here (MOTChallenge format).") var output: String?

        func run() throws {
            guard every >= 1 else { throw ValidationError("--every must be at least 1") }
            let entries: [MOTEntry], truth: [MOTEntry]
            do {
                entries = try MOTChallenge.read(path: detections)
                truth = try MOTChallenge.read(path: groundTruth)
            } catch {
                throw ValidationError("cannot read the MOT files: \(error)")
            }
            var parameters = ByteTracker.Parameters()
            parameters.referenceFPS = fps
            let tracker = ByteTracker(parameters: parameters)
            var results: [MOTEntry] = []
            let byFrame = Dictionary(grouping: entries, by: \.frame)
            let lastFrame = max(entries.map(\.frame).max() ?? 0, truth.map(\.frame).max() ?? 0)
            let clock = ContinuousClock()
            var elapsed = Duration.zero
            for frame in stride(from: 1, through: lastFrame, by: every) {
                let frameDetections = (byFrame[frame] ?? []).map {
                    ByteTracker.Detection(box: $0.box, score: $0.confidence, classID: 0)
                }
                let started = clock.now
                let tracks = tracker.update(detections: frameDetections, time: Double(frame - 1) / fps)
                elapsed += started.duration(to: clock.now)
                results += tracks.map { MOTEntry(frame: frame, id: $0.trackID, box: $0.box, confidence: $0.confidence) }
            }
            if let output { try MOTChallenge.write(results, to: output) }
            // Score only the frames the tracker saw.
            let scoredTruth = truth.filter { ($0.frame - 1) % every == 0 }
            let metrics = MOTMetrics.evaluate(groundTruth: scoredTruth, hypotheses: results)
            let updates = Double((lastFrame + every - 1) / every)
            print(String(
                format: "MOTA %.4f  IDF1 %.4f  MOTP %.4f  IDP %.4f  IDR %.4f  recall %.4f  precision %.4f  switches %d  fragmentations %d  MT %d  PT %d  ML %d  (%.1f µs/update)",
                metrics.mota, metrics.idf1, metrics.motp, metrics.idp, metrics.idr, metrics.recall, metrics.precision,
                metrics.switches, metrics.fragmentations, metrics.mostlyTracked, metrics.partiallyTracked,
                metrics.mostlyLost, Double(elapsed.components.attoseconds) / 1e12 / updates + Double(elapsed.components.seconds) * 1e6 / updates))
        }
    }
}
