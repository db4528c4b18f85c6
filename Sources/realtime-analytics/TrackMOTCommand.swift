import ArgumentParser
import Foundation
import Tracking

extension RealtimeAnalytics {
    /// Runs the tracker over a MOTChallenge detection file and scores the result against ground truth.
    struct TrackMOT: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "track-mot",
            abstract:
                "Track a MOTChallenge detection file with ByteTrack and score it (MOTA, IDF1, …) against ground truth.")

        @Option(help: "Detections: frame, id (ignored), x, y, w, h, score[, …] per line.") var detections: String
        @Option(help: "Ground truth in MOTChallenge format.") var groundTruth: String
        @Option(help: "Frame rate of the sequence (frames are converted to seconds with it).") var fps = 25.0
        @Option(help: "Use the detections of every Nth frame only (subsampled detection).") var every = 1
        @Option(help: "Write the tracker's output here (MOTChallenge format).") var output: String?
        @Option(help: "First-association score threshold.") var highThreshold = ByteTracker.Parameters().highThreshold
        @Option(help: "Lowest score of the second association.") var lowThreshold = ByteTracker.Parameters()
            .lowThreshold
        @Option(help: "Score a new track needs.") var newTrackThreshold = ByteTracker.Parameters().newTrackThreshold
        @Option(help: "First-association cost limit (1 − IoU·score).") var matchThreshold = ByteTracker.Parameters()
            .matchThreshold
        @Option(help: "Second-association cost limit (1 − IoU).") var secondMatchThreshold = ByteTracker.Parameters()
            .secondMatchThreshold
        @Flag(help: "Run ByteTrack as published, without this tracker's two low-score extensions.") var published =
            false
        @Option(help: "Seconds a lost track can be re-found.") var lostTrackSeconds = ByteTracker.Parameters()
            .lostTrackSeconds
        @Option(help: "Score at which a new track is published at once (above 1: on its second match).")
        var confirmAtOnceScore = ByteTracker.Parameters().confirmAtOnceScore
        @Option(help: "Distance gate growth in track heights per second of gap (0: IoU association only).")
        var distanceGatePerSecond = ByteTracker.Parameters().distanceGatePerSecond
        @Option(help: "Mean detection score a track needs to be published (0: every confirmed track).")
        var publishMinimumScore = ByteTracker.Parameters().publishMinimumScore
        @Option(help: "Frame rate the Kalman filter steps at (default: --fps; the pipeline uses 30).")
        var referenceFPS: Double?

        func run() throws {
            guard every >= 1 else { throw ValidationError("--every must be at least 1") }
            let entries: [MOTEntry], truth: [MOTEntry]
            do {
                entries = try MOTChallenge.read(path: detections)
                truth = try MOTChallenge.read(path: groundTruth)
            } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(1)
            }
            let lastFrame = max(entries.map(\.frame).max() ?? 0, truth.map(\.frame).max() ?? 0)
            var parameters = published ? ByteTracker.Parameters.published : ByteTracker.Parameters()
            parameters.highThreshold = highThreshold
            parameters.lowThreshold = lowThreshold
            parameters.newTrackThreshold = newTrackThreshold
            parameters.matchThreshold = matchThreshold
            parameters.secondMatchThreshold = secondMatchThreshold
            parameters.lostTrackSeconds = lostTrackSeconds
            if !published {
                parameters.confirmAtOnceScore = confirmAtOnceScore
                parameters.distanceGatePerSecond = distanceGatePerSecond
                parameters.publishMinimumScore = publishMinimumScore
            }
            let run = MOTSequenceTracking.run(
                detections: entries, lastFrame: lastFrame, fps: fps, every: every, parameters: parameters,
                referenceFPS: referenceFPS)
            if let output { try MOTChallenge.write(run.tracks, to: output) }
            // Score only the frames the tracker saw.
            let scoredFrames = Set(run.frames)
            let metrics = MOTMetrics.evaluate(
                groundTruth: truth.filter { scoredFrames.contains($0.frame) }, hypotheses: run.tracks)
            print(
                String(
                    format:
                        "MOTA %.4f  IDF1 %.4f  MOTP %.4f  IDP %.4f  IDR %.4f  recall %.4f  precision %.4f  switches %d  fragmentations %d  MT %d  PT %d  ML %d  (%.1f µs/update)",
                    metrics.mota, metrics.idf1, metrics.motp, metrics.idp, metrics.idr, metrics.recall,
                    metrics.precision,
                    metrics.switches, metrics.fragmentations, metrics.mostlyTracked, metrics.partiallyTracked,
                    metrics.mostlyLost, run.updateSeconds * 1e6 / Double(max(1, run.frames.count))))
        }
    }
}
