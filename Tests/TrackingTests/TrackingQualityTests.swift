import AnalyticsCore
import Foundation
import TestSupport
import Testing

@testable import Tracking

/// Our ByteTracker against a maintained Python ByteTrack (Roboflow's `trackers`, PyPI) on identical detections:
/// TUD ground-truth boxes with seeded corruption, scored by our metric code (itself checked against py-motmetrics).
@Suite("Tracking quality against a reference ByteTrack", .serialized, .timeLimit(.minutes(5)))
struct TrackingQualityTests {
    struct Scenario: CustomTestStringConvertible, Sendable {
        var sequence: String
        /// Detection runs on every Nth frame only.
        var every: Int
        var missRate: Double
        var seed: UInt64
        /// Never looked at while the tracker's extensions were chosen: other seeds and another sampling rate, so the
        /// comparison is not only on the data the tuning saw.
        var heldOut = false

        var testDescription: String {
            "\(sequence), every \(every) frames, \(Int(missRate * 100)) % missed\(heldOut ? " (held out)" : "")"
        }

        /// Independent corruptions of the sequence, played one after the other: one short sequence gives too few
        /// events (a single id switch moves IDF1 by points) for a fair comparison.
        static let repetitions = 8
        /// Frames between repetitions: 48 s of empty frames, longer than any lost-track buffer, and divisible by
        /// 2, 3 and 4 so every repetition is sampled on the same frames.
        static let repetitionOffset = 1200
    }

    static let scenarios = [
        Scenario(sequence: "TUD-Campus", every: 2, missRate: 0.10, seed: 1),
        Scenario(sequence: "TUD-Campus", every: 3, missRate: 0.20, seed: 2),
        Scenario(sequence: "TUD-Stadtmitte", every: 2, missRate: 0.15, seed: 3),
        Scenario(sequence: "TUD-Stadtmitte", every: 3, missRate: 0.20, seed: 4),
        Scenario(sequence: "TUD-Campus", every: 4, missRate: 0.15, seed: 21, heldOut: true),
        Scenario(sequence: "TUD-Stadtmitte", every: 4, missRate: 0.10, seed: 22, heldOut: true),
    ]

    /// The TUD sequences run at 25 frames/s.
    static let fps = 25.0

    @Test("ours reaches at least the reference's MOTA and IDF1 minus 1 point", arguments: scenarios)
    func againstReference(scenario: Scenario) throws {
        let dataDirectory = try ChildProcess.run(
            "/usr/bin/env", ["python3", TestEnvironment.script("motmetrics-reference.py"), "--data-dir"], timeout: 60)
        let truthPath =
            dataDirectory.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            + "/\(scenario.sequence)/gt.txt"
        let sequenceTruth = try MOTChallenge.read(path: truthPath)
        var truth: [MOTEntry] = [], detections: [MOTEntry] = []
        for repetition in 0..<Scenario.repetitions {
            var variant = scenario
            variant.seed = scenario.seed * 1000 + UInt64(repetition)
            let offset = repetition * Scenario.repetitionOffset
            truth += sequenceTruth.map { entry in
                var copy = entry
                copy.frame += offset
                copy.id += repetition * 1000
                return copy
            }
            detections += Self.corruptedDetections(truth: sequenceTruth, scenario: variant).map { entry in
                var copy = entry
                copy.frame += offset
                return copy
            }
        }
        let lastFrame = try #require(truth.map(\.frame).max())
        #expect(!detections.isEmpty)

        // Kept in a temporary folder (its path printed) so a result can be looked into and re-run with
        // `realtime-analytics track-mot`.
        let folder = try TestEnvironment.makeTemporaryDirectory(
            "tracking-quality-\(scenario.sequence)-every\(scenario.every)-seed\(scenario.seed)")
        let detectionPath = folder.appendingPathComponent("det.txt").path
        let referencePath = folder.appendingPathComponent("reference.txt").path
        try MOTChallenge.write(detections, to: detectionPath)
        try MOTChallenge.write(truth, to: folder.appendingPathComponent("gt.txt").path)
        // Both trackers read the same file (ours through the MOTChallenge reader, as track-mot does).
        let input = try MOTChallenge.read(path: detectionPath)

        // Ours as the pipeline runs it by default (the `tracker:` section's defaults, the publish gate included).
        let ours = MOTSequenceTracking.run(
            detections: input, lastFrame: lastFrame, fps: Self.fps, every: scenario.every,
            parameters: ByteTracker.Parameters())
        let published = MOTSequenceTracking.run(
            detections: input, lastFrame: lastFrame, fps: Self.fps, every: scenario.every, parameters: .published)
        let reference = try ChildProcess.run(
            "/usr/bin/env",
            [
                "python3", TestEnvironment.script("bytetrack-reference.py"), "--detections", detectionPath,
                "--output", referencePath, "--fps", "\(Self.fps)", "--every", "\(scenario.every)",
                "--last-frame", "\(lastFrame)", "--lost-seconds", "\(ByteTracker.Parameters().lostTrackSeconds)",
            ],
            timeout: 180)
        try #require(reference.status == 0, "bytetrack-reference.py failed: \(reference.stderr)")
        let referenceTracks = try MOTChallenge.read(path: referencePath)

        // Only the frames the trackers saw are scored.
        let scoredFrames = Set(ours.frames)
        let scoredTruth = truth.filter { scoredFrames.contains($0.frame) }
        let oursMetrics = MOTMetrics.evaluate(groundTruth: scoredTruth, hypotheses: ours.tracks)
        let referenceMetrics = MOTMetrics.evaluate(groundTruth: scoredTruth, hypotheses: referenceTracks)
        let publishedMetrics = MOTMetrics.evaluate(groundTruth: scoredTruth, hypotheses: published.tracks)
        let report = String(
            format:
                "%@ (ours / Roboflow trackers 2.6.1 / ours as published): MOTA %.3f / %.3f / %.3f, IDF1 %.3f / %.3f / %.3f, switches %d / %d / %d, FP %d / %d / %d, misses %d / %d / %d",
            scenario.testDescription, oursMetrics.mota, referenceMetrics.mota, publishedMetrics.mota, oursMetrics.idf1,
            referenceMetrics.idf1, publishedMetrics.idf1, oursMetrics.switches, referenceMetrics.switches,
            publishedMetrics.switches, oursMetrics.falsePositives, referenceMetrics.falsePositives,
            publishedMetrics.falsePositives, oursMetrics.misses, referenceMetrics.misses, publishedMetrics.misses)
        print("tracking quality: \(report) [files in \(folder.path)]")
        #expect(referenceMetrics.mota > 0.3, "the reference should track this input reasonably: \(report)")
        #expect(oursMetrics.mota >= referenceMetrics.mota - 0.01, "\(report)")
        #expect(oursMetrics.idf1 >= referenceMetrics.idf1 - 0.01, "\(report)")
    }

    /// Ground-truth boxes of the detected frames, each missed with `missRate`, jittered (5 % of the size in position
    /// and size), a quarter of them with a low score (0.15-0.5, the second association's range), plus 0-2 false
    /// positives per frame. Seeded, so every run sees the same input.
    static func corruptedDetections(truth: [MOTEntry], scenario: Scenario) -> [MOTEntry] {
        var random = SeededRandomGenerator(seed: scenario.seed)
        func gaussian() -> Double {
            let u = Double.random(in: Double.ulpOfOne..<1, using: &random), v = Double.random(in: 0..<1, using: &random)
            return (-2 * Foundation.log(u)).squareRoot() * cos(2 * Double.pi * v)
        }
        let width = truth.map(\.box.x2).max() ?? 640, height = truth.map(\.box.y2).max() ?? 480
        var detections: [MOTEntry] = []
        let byFrame = Dictionary(grouping: truth, by: \.frame)
        for frame in byFrame.keys.sorted() where (frame - 1) % scenario.every == 0 {
            for entry in byFrame[frame]! {
                guard Double.random(in: 0..<1, using: &random) >= scenario.missRate else { continue }
                let box = entry.box
                let w = box.width * (1 + 0.05 * gaussian()), h = box.height * (1 + 0.05 * gaussian())
                let cx = (box.x1 + box.x2) / 2 + 0.05 * box.width * gaussian()
                let cy = (box.y1 + box.y2) / 2 + 0.05 * box.height * gaussian()
                let score =
                    Double.random(in: 0..<1, using: &random) < 0.25
                    ? Double.random(in: 0.15...0.5, using: &random) : Double.random(in: 0.55...0.98, using: &random)
                detections.append(
                    MOTEntry(
                        frame: frame, id: -1, box: Box(x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2),
                        confidence: score))
            }
            for _ in 0..<Int.random(in: 0...2, using: &random) {
                let w = Double.random(in: 20...70, using: &random), h = w * Double.random(in: 2...3, using: &random)
                let x = Double.random(in: 0...(width - w), using: &random)
                let y = Double.random(in: 0...max(1, height - h), using: &random)
                detections.append(
                    MOTEntry(
                        frame: frame, id: -1, box: Box(x1: x, y1: y, x2: x + w, y2: y + h),
                        confidence: Double.random(in: 0.1...0.65, using: &random)))
            }
        }
        return detections
    }
}
