import AnalyticsCore
import Foundation
import Logging
import Synchronization
import TestSupport
import Testing
import VideoFrames
import VideoIngest

/// Keeps the frames with the wanted indices of a lossless file read, then stops the reader.
final class FrameGrabber: FrameDelivery, Sendable {
    let wanted: Set<Int64>
    private let grabbed = Mutex<[Frame]>([])

    init(indices: Set<Int64>) { wanted = indices }

    var frames: [Frame] { grabbed.withLock { $0 } }

    func deliverNewest(_ frame: Frame) { keep(frame) }

    func deliverWaiting(_ frame: Frame, control: ReaderControl) -> Bool {
        keep(frame)
        return true
    }

    private func keep(_ frame: Frame) {
        if wanted.contains(frame.index) { grabbed.withLock { $0.append(frame) } }
    }

    /// The frames of `path` with `indices` (those the file has), decoded by the project's own reader at `width` x
    /// `height` (0: keep the aspect ratio), in file order.
    static func frames(_ indices: Set<Int64>, of path: String, width: Int, height: Int) -> [Frame] {
        let grabber = FrameGrabber(indices: indices)
        let reader = StreamReader(
            stream: StreamConfiguration(id: "test", source: .file(path: path), realtime: false), streamIndex: 0,
            settings: IngestSettings(width: width, height: height), delivery: grabber, logger: Logger(label: "test"))
        let exited = SharedCounter()
        reader.start(onExit: { exited.add() })
        _ = ChildProcess.waitUntil(atMost: 120) { grabber.frames.count == indices.count || exited.current > 0 }
        reader.stop()
        _ = ChildProcess.waitUntil(atMost: 10) { exited.current > 0 }
        return grabber.frames
    }

    /// Frame `index` of `path`.
    static func frame(_ index: Int64, of path: String, width: Int, height: Int) throws -> Frame {
        try #require(
            frames([index], of: path, width: width, height: height).first, "frame \(index) of \(path) was not decoded")
    }
}
