import AnalyticsCore
import ArgumentParser
import Detection
import Foundation
import Logging
import RuntimeSupport
import Synchronization
import VideoFrames
import VideoIngest

/// Raw detector throughput: the detector alone (pre-processing, inference, decoding, NMS) on one real frame, with
/// 1 worker and with N workers in parallel, each on its own thread with its own infer request, as the pipeline runs
/// them.
struct DetectorThroughput: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detector", abstract: "Detector frames/s with 1 worker and with N workers (one thread each).")

    @Option(help: "Model (OpenVINO IR).") var model = "models/yolov4-tiny/yolov4-tiny.xml"
    @Option(help: "Video whose frame is detected over and over.") var file = "samples/vtest.avi"
    @Option(help: "Frame index to use.") var frame = 100
    @Option(help: "Working width (the pipeline's).") var width = 640
    @Option(help: "Network input: 416 (square) or 416x320 (width x height).") var inputSize = InputSize.square(416)
    @Option(help: "Worker counts to measure.") var workers: [Int] = [1, ProcessInfo.processInfo.activeProcessorCount]
    @Option(help: "Seconds per measurement.") var seconds = 10.0

    func run() throws {
        let frame = try BenchFrames.frame(Int64(frame), of: file, width: width)
        var configuration = ModelConfiguration()
        configuration.path = model
        configuration.inputSize = inputSize
        for count in workers {
            let model = try DetectorModel(configuration: configuration, workers: count)
            let detectors = try (0..<count).map { _ in try model.makeDetector() }
            let total = Mutex(0)
            let boxes = Mutex(0)
            let done = DispatchGroup()
            let deadline = MonotonicClock.nowNanoseconds() + UInt64(seconds * 1e9)
            let started = MonotonicClock.nowNanoseconds()
            for detector in detectors {
                let handle = UncheckedDetector(detector: detector)
                done.enter()
                DedicatedThreads.process.start(named: "detector benchmark") {
                    var frames = 0, found = 0
                    while MonotonicClock.nowNanoseconds() < deadline {
                        found = (try? handle.detector.detect(frame).count) ?? -1
                        frames += 1
                    }
                    total.withLock { $0 += frames }
                    boxes.withLock { $0 = found }
                    done.leave()
                }
            }
            done.wait()
            let elapsed = Double(MonotonicClock.nowNanoseconds() - started) / 1e9
            let frames = total.withLock { $0 }
            print(
                String(
                    format:
                        "%d worker%@: %.1f frames/s (%d frames in %.1f s, %.1f ms/frame per worker, %d boxes per frame)",
                    count, count == 1 ? "" : "s", Double(frames) / elapsed, frames, elapsed,
                    1000 * elapsed * Double(count) / Double(max(1, frames)), boxes.withLock { $0 }))
        }
    }
}

/// A worker's detector handed to its benchmark thread (used by that thread only).
struct UncheckedDetector: @unchecked Sendable {
    let detector: ObjectDetector
}

extension InputSize: ExpressibleByArgument {
    public init?(argument: String) {
        let sides = argument.split(separator: "x").compactMap { Int($0) }
        switch sides.count {
        case 1: self = .square(sides[0])
        case 2: self.init(width: sides[0], height: sides[1])
        default: return nil
        }
    }
}
