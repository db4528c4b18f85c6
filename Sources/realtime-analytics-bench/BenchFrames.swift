import AnalyticsCore
import ArgumentParser
import Foundation
import Logging
import Synchronization
import VideoFrames
import VideoIngest

/// Real frames for the benchmarks, decoded by the project's own reader.
enum BenchFrames {
    /// Frame `index` of `path`, decoded and scaled to `width` (aspect kept) by the project's reader.
    static func frame(_ index: Int64, of path: String, width: Int) throws -> Frame {
        final class Grab: FrameDelivery, Sendable {
            let index: Int64
            let frame = Mutex<Frame?>(nil)
            init(index: Int64) { self.index = index }
            func deliverNewest(_ frame: Frame) { keep(frame) }
            func deliverWaiting(_ frame: Frame, control: ReaderControl) -> Bool {
                keep(frame)
                return true
            }
            func keep(_ frame: Frame) { if frame.index == index { self.frame.withLock { $0 = frame } } }
        }
        let grab = Grab(index: index)
        let ended = Mutex(false)
        let reader = StreamReader(
            stream: StreamConfiguration(id: "bench", source: .file(path: path), realtime: false), streamIndex: 0,
            settings: IngestSettings(width: width, height: 0), delivery: grab, logger: Logger(label: "bench"))
        reader.start(onExit: { ended.withLock { $0 = true } })
        while grab.frame.withLock({ $0 == nil }) && !ended.withLock({ $0 }) { Thread.sleep(forTimeInterval: 0.01) }
        reader.stop()
        guard let frame = grab.frame.withLock({ $0 }) else {
            throw ValidationError("\(path) has no frame \(index)")
        }
        return frame
    }
}
