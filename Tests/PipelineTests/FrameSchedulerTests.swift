import AnalyticsCore
import Foundation
import TestSupport
import Testing
@testable import Pipeline
@testable import VideoIngest

@Suite("Frame scheduler")
struct FrameSchedulerTests {
    private func frame(_ stream: Int, _ index: Int64) -> Frame {
        Frame(
            streamIndex: stream, streamID: "s\(stream)", index: index, captureTimeMs: 0,
            captureUptimeNs: MonotonicClock.nowNanoseconds(), ptsSeconds: nil, pixels: PixelBuffer(width: 2, height: 2))
    }

    @Test("a newer frame replaces an untaken one, which is counted as dropped")
    func newestFrameWins() {
        let scheduler = FrameScheduler(detectFPS: [0])
        scheduler.deliverNewest(frame(0, 0))
        scheduler.deliverNewest(frame(0, 1))
        scheduler.deliverNewest(frame(0, 2))
        let taken = scheduler.next()
        #expect(taken?.index == 2)
        scheduler.complete(0)
        #expect(scheduler.counters()[0] == .init(delivered: 3, dropped: 2, completed: 1))
    }

    @Test("a stream is never handed to two workers at once, so its frames are analysed in order")
    func oneWorkerPerStream() {
        let scheduler = FrameScheduler(detectFPS: [0, 0])
        scheduler.deliverNewest(frame(0, 0))
        let first = scheduler.next()
        scheduler.deliverNewest(frame(0, 1))
        scheduler.deliverNewest(frame(1, 0))
        // Stream 0 is busy: the next frame must come from stream 1.
        #expect(first?.streamIndex == 0)
        #expect(scheduler.next()?.streamIndex == 1)
        scheduler.complete(0)
        #expect(scheduler.next()?.index == 1)
    }

    @Test("the stream that has waited longest goes first")
    func longestWaitFirst() {
        let scheduler = FrameScheduler(detectFPS: [0, 0, 0])
        scheduler.deliverNewest(frame(2, 0))
        usleep(2000)
        scheduler.deliverNewest(frame(0, 0))
        usleep(2000)
        scheduler.deliverNewest(frame(1, 0))
        let order = (0..<3).compactMap { _ in scheduler.next()?.streamIndex }
        #expect(order == [2, 0, 1])
    }

    @Test("detect_fps caps the analysed rate of a faster source")
    func detectFPSCap() async throws {
        let scheduler = FrameScheduler(detectFPS: [5])
        let completed = SharedCounter()
        let worker = Thread {
            while let frame = scheduler.next() {
                completed.add()
                scheduler.complete(frame.streamIndex)
            }
        }
        worker.start()
        // A 20 fps source for 2 s.
        for index in 0..<40 {
            scheduler.deliverNewest(frame(0, Int64(index)))
            try await Task.sleep(for: .milliseconds(50))
        }
        scheduler.stop()
        let analysed = completed.current
        #expect((9...11).contains(analysed), "analysed \(analysed) frames in 2 s at detect_fps 5")
        let counters = scheduler.counters()[0]
        #expect(counters.delivered == counters.dropped + counters.completed)
    }

    @Test("with more streams than workers can serve, every stream gets a fair share")
    func fairness() async throws {
        let streams = 32
        let scheduler = FrameScheduler(detectFPS: Array(repeating: 0, count: streams))
        let perStream = (0..<streams).map { _ in SharedCounter() }
        let workers = AnalysisWorkersTestHarness(scheduler: scheduler) { frame in
            usleep(2000)  // a 2 ms "detector": ~500 frames/s per worker, far below 32 x 100 fps.
            perStream[frame.streamIndex].add()
        }
        workers.start(count: 2)
        for tick in 0..<100 {
            for stream in 0..<streams { scheduler.deliverNewest(frame(stream, Int64(tick))) }
            try await Task.sleep(for: .milliseconds(10))
        }
        scheduler.stop()
        workers.waitForExit()
        let counts = perStream.map(\.current)
        let low = try #require(counts.min()), high = try #require(counts.max())
        #expect(low > 0)
        #expect(Double(high) / Double(low) <= 1.5, "per-stream analysed counts \(counts)")
    }

    @Test("lossless delivery waits for the slot instead of dropping, and gives up when stopped")
    func losslessDelivery() async throws {
        let scheduler = FrameScheduler(detectFPS: [0])
        let control = ReaderControl()
        let reader = Thread {
            for index in 0..<20 {
                guard scheduler.deliverWaiting(self.frame(0, Int64(index)), control: control) else { return }
            }
        }
        reader.start()
        var seen: [Int64] = []
        while seen.count < 20, let frame = scheduler.next() {
            seen.append(frame.index)
            scheduler.complete(0)
        }
        #expect(seen == Array(0..<20))
        #expect(scheduler.counters()[0].dropped == 0)
        control.stop()
    }
}

/// Worker threads over a scheduler for tests that need concurrency without the whole pipeline.
final class AnalysisWorkersTestHarness: Sendable {
    private let scheduler: FrameScheduler
    private let work: @Sendable (Frame) -> Void
    private let running = SharedCounter()

    init(scheduler: FrameScheduler, work: @escaping @Sendable (Frame) -> Void) {
        self.scheduler = scheduler
        self.work = work
    }

    func start(count: Int) {
        running.add(count)
        for _ in 0..<count {
            Thread { [self] in
                while let frame = scheduler.next() {
                    work(frame)
                    scheduler.complete(frame.streamIndex)
                }
                running.add(-1)
            }.start()
        }
    }

    func waitForExit() {
        for _ in 0..<500 where running.current > 0 { usleep(10_000) }
    }
}
