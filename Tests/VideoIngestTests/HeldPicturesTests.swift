import AnalyticsCore
import Foundation
import Logging
import Synchronization
import TestSupport
import Testing
import VideoFrames

@testable import VideoIngest

/// Keeps every frame it is given, with a checksum of its pixels (converted to I420) taken on arrival.
private final class PictureKeeper: FrameDelivery, Sendable {
    let kept = Mutex<[(frame: Frame, checksum: UInt64)]>([])
    private let scaler = Mutex(ImageScaler(filter: .bilinear))

    func checksum(_ frame: Frame) -> UInt64 {
        let pixels = scaler.withLock { try? $0.i420(frame.pixels, width: frame.width, height: frame.height) }
        var sum: UInt64 = 0
        guard let bytes = pixels?.bytes else { return 0 }
        for offset in stride(from: 0, to: bytes.count, by: 61) { sum = sum &* 31 &+ UInt64(bytes[offset]) }
        return sum
    }

    func deliverNewest(_ frame: Frame) {
        let sum = checksum(frame)
        kept.withLock { $0.append((frame, sum)) }
    }

    func deliverWaiting(_ frame: Frame, control: ReaderControl) -> Bool {
        deliverNewest(frame)
        return true
    }
}

@Suite("Decoded pictures held by reference", .timeLimit(.minutes(1)))
struct HeldPicturesTests {
    @Test(
        "a picture a worker still holds keeps its pixels while the decoder decodes 100 more (MPEG-4, H.264)",
        arguments: ["vtest.avi", "testsrc-640x360-25fps-5s.mp4"])
    func heldPicturesKeepTheirPixels(file: String) throws {
        let keeper = PictureKeeper()
        let reader = StreamReader(
            stream: StreamConfiguration(
                id: "held", source: .file(path: try TestEnvironment.sample(file)), realtime: false),
            streamIndex: 0, settings: IngestSettings(width: 640, height: 0), delivery: keeper,
            logger: Logger(label: "test"))
        let exited = SharedCounter()
        reader.start(onExit: { exited.add() })
        _ = ChildProcess.waitUntil(atMost: 30) { keeper.kept.withLock { $0.count } >= 100 || exited.current > 0 }
        reader.stop()
        _ = ChildProcess.waitUntil(atMost: 5) { exited.current > 0 }
        let kept = keeper.kept.withLock { $0 }
        try #require(kept.count >= 100, "\(kept.count) frames")
        let changed = kept.filter { keeper.checksum($0.frame) != $0.checksum }.map(\.frame.index)
        #expect(changed.isEmpty, "pixels changed after delivery in frames \(changed.prefix(10))")
        #expect(Set(kept.map(\.checksum)).count > 50, "frames of a moving scene should differ")
    }
}
