import AnalyticsCore
import ArgumentParser
import Foundation
import RuntimeSupport
import Tracking
import VideoIngest

/// ByteTracker update time per detected frame for scenes of 5, 20 and 100 moving objects (plus a few false
/// positives and misses, as a detector gives), at 10 detections/s.
struct TrackerUpdate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tracker", abstract: "ByteTracker update time per frame at several object counts; prints µs/frame."
    )

    @Option(parsing: .upToNextOption, help: "Object counts to measure.") var objects: [Int] = [5, 20, 100]
    @Option(help: "Frames per scene (after 50 warm-up frames).") var frames = 3000

    func run() throws {
        for count in objects {
            let scene = Self.makeScene(objects: count, frames: frames + 50)
            let tracker = ByteTracker()
            var durations: [UInt64] = []
            durations.reserveCapacity(frames)
            var published = 0
            for (index, detections) in scene.enumerated() {
                let start = MonotonicClock.nowNanoseconds()
                let output = tracker.update(detections: detections, time: Double(index) / 10)
                let end = MonotonicClock.nowNanoseconds()
                if index >= 50 {
                    durations.append(end - start)
                    published += output.count
                }
            }
            durations.sort()
            let mean = Double(durations.reduce(0, +)) / Double(durations.count) / 1000
            let p50 = Double(durations[durations.count / 2]) / 1000
            let p99 = Double(durations[durations.count * 99 / 100]) / 1000
            print(
                String(
                    format:
                        "%3d objects: %.1f µs/frame mean, p50 %.1f, p99 %.1f (%d frames, %.1f tracks published/frame)",
                    count, mean, p50, p99, durations.count, Double(published) / Double(durations.count)))
        }
    }

    /// Objects moving at constant velocity across a 1920x1080 frame (bouncing at the edges), detected with jitter;
    /// 5 % of detections missed, one false positive per 10 objects per frame. Seeded: every run sees the same input.
    static func makeScene(objects: Int, frames: Int) -> [[ByteTracker.Detection]] {
        var random = SeededRandomGenerator(seed: UInt64(objects))
        struct Object { var x, y, w, h, vx, vy: Double }
        var state = (0..<objects).map { _ in
            Object(
                x: .random(in: 100...1800, using: &random), y: .random(in: 100...950, using: &random),
                w: .random(in: 30...80, using: &random), h: .random(in: 80...200, using: &random),
                vx: .random(in: -8...8, using: &random), vy: .random(in: -4...4, using: &random))
        }
        var scene: [[ByteTracker.Detection]] = []
        for _ in 0..<frames {
            var detections: [ByteTracker.Detection] = []
            for index in state.indices {
                var o = state[index]
                o.x += o.vx
                o.y += o.vy
                if o.x < 0 || o.x + o.w > 1920 { o.vx = -o.vx }
                if o.y < 0 || o.y + o.h > 1080 { o.vy = -o.vy }
                state[index] = o
                guard Double.random(in: 0...1, using: &random) > 0.05 else { continue }
                let jitter = { (scale: Double) in Double.random(in: -scale...scale, using: &random) }
                detections.append(
                    ByteTracker.Detection(
                        box: Box(
                            x1: o.x + jitter(2), y1: o.y + jitter(2), x2: o.x + o.w + jitter(2),
                            y2: o.y + o.h + jitter(2)),
                        score: .random(in: 0.3...0.95, using: &random), classID: 0))
            }
            for _ in 0..<(objects / 10) {
                let x = Double.random(in: 0...1800, using: &random), y = Double.random(in: 0...900, using: &random)
                detections.append(
                    ByteTracker.Detection(
                        box: Box(x1: x, y1: y, x2: x + 60, y2: y + 120), score: .random(in: 0.1...0.6, using: &random),
                        classID: 2))
            }
            scene.append(detections)
        }
        return scene
    }
}
