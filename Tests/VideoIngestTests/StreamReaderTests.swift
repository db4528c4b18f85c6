import AnalyticsCore
import Foundation
import Logging
import Synchronization
import TestSupport
import Testing
import VideoFrames

@testable import VideoIngest

/// Collects every frame a reader delivers (from the one reader thread), converting each to I420 at its working size
/// as a worker would (for the checksum; `checksums: false` skips it where only sizes and counts matter).
final class FrameCollector: FrameDelivery, Sendable {
    private let scaler = Mutex(ImageScaler(filter: .bilinear))
    private let decodedOnArrival = Mutex(0)
    private let checksums: Bool

    init(checksums: Bool = true) { self.checksums = checksums }

    /// Frames that arrived as decoded pictures (not converted by the reader).
    var decodedCount: Int { decodedOnArrival.withLock { $0 } }

    struct Record: Sendable {
        var index: Int64
        var width: Int
        var height: Int
        var pts: Double?
        var uptimeNs: UInt64
        var checksum: UInt64
    }

    private let records = Mutex<[Record]>([])

    var all: [Record] { records.withLock { $0 } }

    private func record(_ frame: Frame) {
        if case .decoded = frame.pixels { decodedOnArrival.withLock { $0 += 1 } }
        // A cheap checksum over a few rows proves the pixels were there, not pool garbage.
        var checksum: UInt64 = 0
        let pixels =
            checksums ? scaler.withLock { try? $0.i420(frame.pixels, width: frame.width, height: frame.height) } : nil
        if let bytes = pixels?.bytes {
            for offset in stride(from: 0, to: bytes.count, by: 997) {
                checksum = checksum &* 31 &+ UInt64(bytes[offset])
            }
        }
        records.withLock {
            $0.append(
                Record(
                    index: frame.index, width: frame.width, height: frame.height, pts: frame.ptsSeconds,
                    uptimeNs: frame.captureUptimeNs, checksum: checksum))
        }
    }

    func deliverNewest(_ frame: Frame) { record(frame) }

    func deliverWaiting(_ frame: Frame, control: ReaderControl) -> Bool {
        record(frame)
        return true
    }
}

@Suite("Stream reader on real files", .serialized, .timeLimit(.minutes(2)))
struct StreamReaderTests {
    let logger = Logger(label: "test")

    private func read(
        _ stream: StreamConfiguration, settings: IngestSettings, until done: (FrameCollector, StreamReader) -> Bool,
        atMost seconds: Double, checksums: Bool = true
    ) -> (FrameCollector, StreamReader) {
        let collector = FrameCollector(checksums: checksums)
        let reader = StreamReader(
            stream: stream, streamIndex: 0, settings: settings, delivery: collector, logger: logger)
        let exited = SharedCounter()
        reader.start(onExit: { exited.add() })
        _ = ChildProcess.waitUntil(atMost: seconds) { exited.current > 0 || done(collector, reader) }
        reader.stop()
        _ = ChildProcess.waitUntil(atMost: 5) { exited.current > 0 }
        #expect(exited.current == 1, "reader thread did not stop within 5 s")
        return (collector, reader)
    }

    @Test("frames arrive as decoded pictures at the source's size (no copy, no scaling), with their working size")
    func framesArriveAsDecoded() throws {
        let stream = StreamConfiguration(
            id: "d", source: .file(path: try TestEnvironment.sample("vtest.avi")), realtime: false)
        let (collector, _) = read(
            stream, settings: IngestSettings(width: 640, height: 0), until: { c, _ in c.all.count >= 40 }, atMost: 30)
        try #require(collector.all.count >= 40, "\(collector.all.count) frames")
        #expect(collector.decodedCount == collector.all.count)
        #expect(collector.all.allSatisfy { $0.width == 640 && $0.height == 480 })
        #expect(Set(collector.all.map(\.checksum)).count > 30, "converted frames of a moving scene should differ")
    }

    @Test("a 5 s, 25 fps, 640x360 clip yields exactly 125 frames at the working size, indexed 0...124")
    func exactFrameCount() throws {
        let stream = StreamConfiguration(
            id: "clip", source: .file(path: try TestEnvironment.sample("testsrc-640x360-25fps-5s.mp4")), realtime: false
        )
        let (collector, reader) = read(
            stream, settings: IngestSettings(width: 320, height: 180), until: { _, _ in false }, atMost: 60)
        let frames = collector.all
        #expect(frames.count == 125)
        #expect(frames.map(\.index) == Array(0..<125))
        #expect(frames.allSatisfy { $0.width == 320 && $0.height == 180 })
        #expect(Set(frames.map(\.checksum)).count > 100, "frames of a moving test pattern should differ")
        #expect(reader.health.state == .ended)
        #expect(reader.health.decodedFrames == 125)
        let pts = frames.compactMap(\.pts)
        #expect(pts.count == 125 && zip(pts, pts.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test("vtest.avi yields 795 frames; height 0 keeps its 4:3 aspect")
    func vtestFrameCount() throws {
        let stream = StreamConfiguration(
            id: "vtest", source: .file(path: try TestEnvironment.sample("vtest.avi")), realtime: false)
        let (collector, _) = read(
            stream, settings: IngestSettings(width: 640, height: 0), until: { _, _ in false }, atMost: 60,
            checksums: false)
        let frames = collector.all
        #expect(frames.count == 795)
        #expect(frames.allSatisfy { $0.width == 640 && $0.height == 480 })
    }

    @Test("a looping file keeps frame indices increasing across loops")
    func loopingIndices() throws {
        let stream = StreamConfiguration(
            id: "loop", source: .file(path: try TestEnvironment.sample("testsrc-640x360-25fps-5s.mp4")), loop: true,
            realtime: false)
        let (collector, reader) = read(
            stream, settings: IngestSettings(width: 160, height: 90),
            until: { collector, _ in collector.all.count >= 300 },
            atMost: 60)
        let indices = collector.all.map(\.index)
        #expect(indices.count >= 300)
        #expect(indices == Array(0..<Int64(indices.count)))
        #expect(reader.health.reconnects == 0, "a loop is not a reconnect")
    }

    @Test("real-time pacing of a 10 fps file gives 10 ± 1 frames/s")
    func realtimePacing() throws {
        let stream = StreamConfiguration(
            id: "paced", source: .file(path: try TestEnvironment.sample("testsrc-640x360-10fps-20s.mp4")),
            realtime: true)
        let (collector, _) = read(
            stream, settings: IngestSettings(width: 320, height: 180),
            until: { collector, _ in collector.all.count >= 41 }, atMost: 15)
        let frames = collector.all
        try #require(frames.count >= 41)
        // Measure between frame 1 and frame 41 (40 intervals), leaving out the open.
        let seconds = Double(frames[41 - 1].uptimeNs - frames[0].uptimeNs) / 1e9
        let rate = 40 / seconds
        #expect(abs(rate - 10) <= 1, "measured \(rate) frames/s")
    }

    @Test("a missing file marks the stream offline with a clear reason and keeps retrying")
    func missingFile() throws {
        let stream = StreamConfiguration(id: "missing", source: .file(path: "/nonexistent/clip.mp4"))
        let settings = IngestSettings(
            width: 320, height: 180, reconnectInitialSeconds: 0.05, reconnectMaximumSeconds: 0.2)
        let (collector, reader) = read(
            stream, settings: settings, until: { _, reader in reader.health.failedOpens >= 3 }, atMost: 10)
        #expect(reader.health.state == .offline)
        #expect(
            reader.health.failedOpens >= 3,
            "retried \(reader.health.failedOpens) times in 10 s with a 0.2 s backoff cap")
        #expect(collector.all.isEmpty)
        let reason = try #require(reader.health.lastError)
        #expect(reason.contains("/nonexistent/clip.mp4") && reason.contains("file not found"), "\(reason)")
    }

    @Test("an unreachable RTSP server marks the stream offline, and the reader stops promptly")
    func unreachableServer() throws {
        let port = try TestEnvironment.freePort()
        let stream = StreamConfiguration(id: "cam", source: .rtsp(url: "rtsp://127.0.0.1:\(port)/none"))
        let settings = IngestSettings(
            width: 320, height: 180, reconnectInitialSeconds: 0.05, reconnectMaximumSeconds: 0.2, ioTimeoutMs: 1000)
        let (_, reader) = read(
            stream, settings: settings, until: { _, reader in reader.health.state == .offline }, atMost: 10)
        #expect(reader.health.state == .offline)
        #expect(reader.health.lastError?.contains("127.0.0.1:\(port)") == true, "\(reader.health.lastError ?? "")")
    }
}

@Suite("Reconnect backoff and pacing", .timeLimit(.minutes(1)))
struct BackoffAndPacingTests {
    @Test("backoff doubles from the initial delay up to the maximum, and resets")
    func backoffGrowth() {
        var backoff = ReconnectBackoff(initialSeconds: 0.5, maximumSeconds: 4, jitter: 0)
        #expect((0..<6).map { _ in backoff.nextDelay() } == [0.5, 1, 2, 4, 4, 4])
        backoff.reset()
        #expect(backoff.nextDelay() == 0.5)
    }

    @Test("jitter stays within bounds")
    func backoffJitter() {
        var backoff = ReconnectBackoff(initialSeconds: 1, maximumSeconds: 8, jitter: 0.2)
        for attempt in 0..<20 {
            let delay = backoff.nextDelay()
            let base = min(8, pow(2, Double(attempt)))
            #expect(delay >= base * 0.9 - 1e-9 && delay <= min(8, base * 1.1) + 1e-9, "attempt \(attempt): \(delay)")
        }
    }

    @Test("the pacer follows PTS, continues smoothly after a loop and does not burst after a stall")
    func pacer() {
        var pacer = FramePacer(nominalFrameSeconds: 0.1)
        let start: UInt64 = 1_000_000_000
        #expect(pacer.dueTime(forPTS: 5.0, now: start) == start)
        #expect(pacer.dueTime(forPTS: 5.1, now: start) == start + 100_000_000)
        #expect(pacer.dueTime(forPTS: 5.2, now: start) == start + 200_000_000)
        // Loop: PTS jumps back; the next frame is due one frame interval after the previous one.
        #expect(pacer.dueTime(forPTS: 0.0, now: start) == start + 300_000_000)
        #expect(pacer.dueTime(forPTS: 0.1, now: start) == start + 400_000_000)
        // A 3 s stall: rebase to now rather than releasing 30 late frames at once.
        let late = start + 3_400_000_000
        #expect(pacer.dueTime(forPTS: 0.2, now: late) == late)
        #expect(pacer.dueTime(forPTS: 0.3, now: late) == late + 100_000_000)
    }
}
