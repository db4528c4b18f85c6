import AnalyticsCore
import Foundation
import TestSupport
import Testing
import VideoFrames

@testable import Pipeline
@testable import VideoIngest

private func frame(_ stream: Int, _ index: Int64, motion: Bool? = nil) -> Frame {
    Frame(
        streamIndex: stream, streamID: "s\(stream)", index: index, captureTimeMs: 0, captureUptimeNs: 0,
        ptsSeconds: nil, pixels: PixelBuffer(width: 2, height: 2), motion: motion)
}

private let ms: UInt64 = 1_000_000

extension SchedulerState.Decision {
    var frame: Frame? {
        if case .frame(let frame) = self { return frame }
        return nil
    }
}

/// The scheduling policy, driven with explicit times: no threads, no sleeps.
@Suite("Scheduler policy", .timeLimit(.minutes(1)))
struct SchedulerStateTests {
    @Test("a newer frame replaces an untaken one, which is counted as dropped")
    func newestFrameWins() {
        var state = SchedulerState(detectFPS: [0])
        for index in 0..<3 { _ = state.put(frame(0, Int64(index)), nowNs: UInt64(index) * ms) }
        #expect(state.take(nowNs: 3 * ms).frame?.index == 2)
        state.complete(0)
        #expect(state.counters[0] == .init(delivered: 3, dropped: 2, completed: 1))
    }

    @Test("a stream is never handed to two workers at once, so its frames are analysed in order")
    func oneWorkerPerStream() {
        var state = SchedulerState(detectFPS: [0, 0])
        _ = state.put(frame(0, 0), nowNs: 0)
        #expect(state.take(nowNs: 1).frame?.streamIndex == 0)
        _ = state.put(frame(0, 1), nowNs: 2)
        _ = state.put(frame(1, 0), nowNs: 3)
        // Stream 0 is busy: the next frame must come from stream 1, then nothing until stream 0 completes.
        #expect(state.take(nowNs: 4).frame?.streamIndex == 1)
        guard case .waitForWork = state.take(nowNs: 5) else {
            Issue.record("a busy stream's frame was handed out")
            return
        }
        state.complete(0)
        #expect(state.take(nowNs: 6).frame?.index == 1)
    }

    @Test("the stream that has waited longest goes first")
    func longestWaitFirst() {
        var state = SchedulerState(detectFPS: [0, 0, 0])
        _ = state.put(frame(2, 0), nowNs: 10)
        _ = state.put(frame(0, 0), nowNs: 20)
        _ = state.put(frame(1, 0), nowNs: 30)
        // A replacement keeps the stream's place: it has waited since its first untaken frame.
        _ = state.put(frame(2, 1), nowNs: 40)
        let order = (0..<3).compactMap { _ in state.take(nowNs: 50).frame?.streamIndex }
        #expect(order == [2, 0, 1])
    }

    @Test("detect_fps caps a 20 fps source at 5 analysed frames per second, exactly, and says when to ask again")
    func detectFPSCap() {
        var state = SchedulerState(detectFPS: [5])
        var analysed: [Int64] = []
        // A 20 fps source for 10 s; an instant worker asks after every delivery.
        for index in 0..<200 {
            let now = UInt64(index) * 50 * ms
            _ = state.put(frame(0, Int64(index)), nowNs: now)
            switch state.take(nowNs: now) {
            case .frame(let taken):
                analysed.append(taken.index)
                state.complete(0)
            case .waitUntil(let due):
                #expect(due > now && due <= now + 200 * ms, "due \(due) at \(now)")
            default:
                Issue.record("a pending frame under a closed budget must say when the budget opens")
            }
        }
        #expect(analysed.count == 50, "analysed \(analysed.count) of 200 frames in 10 s at detect_fps 5")
        #expect(
            zip(analysed, analysed.dropFirst()).allSatisfy { $1 - $0 == 4 }, "every 4th frame: \(analysed.prefix(10))")
        let counters = state.counters[0]
        #expect(counters.delivered == 200 && counters.completed == 50 && counters.dropped == 149)
    }

    @Test("after a stall the budget banks at most half an interval: no burst follows a slow moment")
    func noBurstAfterStall() {
        var state = SchedulerState(detectFPS: [5])  // 200 ms interval
        _ = state.put(frame(0, 0), nowNs: 0)
        #expect(state.take(nowNs: 0).frame != nil)
        state.complete(0)
        // The worker was away for 2 s; frames keep coming every 50 ms from then on.
        var taken: [UInt64] = []
        for tick in 40..<80 {
            let now = UInt64(tick) * 50 * ms
            _ = state.put(frame(0, Int64(tick)), nowNs: now)
            if state.take(nowNs: now).frame != nil {
                taken.append(now)
                state.complete(0)
            }
        }
        let gaps = zip(taken, taken.dropFirst()).map { ($1 - $0) / ms }
        #expect(gaps.allSatisfy { $0 >= 100 }, "gaps after the stall (ms): \(gaps)")
        #expect(taken.count >= 9 && taken.count <= 11, "\(taken.count) frames in 2 s")
    }

    @Test("with more streams than workers can serve, every stream gets a fair share")
    func fairness() {
        // 32 streams at 100 fps, 2 workers taking 2 ms a frame: a discrete-event run of 1 s.
        let streams = 32
        var state = SchedulerState(detectFPS: Array(repeating: 0, count: streams))
        var perStream = Array(repeating: 0, count: streams)
        var busyUntil: [UInt64] = [0, 0]
        var holding: [Int?] = [nil, nil]
        for step in 0..<1000 {
            let now = UInt64(step) * ms
            if step % 10 == 0 {
                for stream in 0..<streams { _ = state.put(frame(stream, Int64(step / 10)), nowNs: now) }
            }
            for worker in 0..<2 where busyUntil[worker] <= now {
                if let stream = holding[worker] {
                    state.complete(stream)
                    holding[worker] = nil
                }
                if let taken = state.take(nowNs: now).frame {
                    perStream[taken.streamIndex] += 1
                    holding[worker] = taken.streamIndex
                    busyUntil[worker] = now + 2 * ms
                }
            }
        }
        let low = perStream.min() ?? 0, high = perStream.max() ?? 0
        #expect(perStream.reduce(0, +) >= 990, "2 workers x 500 frames/s should be kept busy: \(perStream)")
        #expect(low > 0 && high - low <= 1, "per-stream analysed counts \(perStream)")
    }

    @Test("random interleavings keep the invariants: order per stream, one worker per stream, every frame counted")
    func randomInterleavings() {
        var random = SeededRandomGenerator(seed: 17)
        for _ in 0..<200 {
            let streams = Int.random(in: 1...5, using: &random)
            let fps = (0..<streams).map { _ in [0, 5, 10, 30].randomElement(using: &random)! }
            var state = SchedulerState(detectFPS: fps.map(Double.init))
            var nextIndex = Array(repeating: Int64(0), count: streams)
            var lastTaken = Array(repeating: Int64(-1), count: streams)
            var takenAt: [[UInt64]] = Array(repeating: [], count: streams)
            var busy = Set<Int>()
            var now: UInt64 = 0
            for _ in 0..<300 {
                now += UInt64.random(in: 0...20, using: &random) * ms
                switch Int.random(in: 0..<3, using: &random) {
                case 0:
                    let stream = Int.random(in: 0..<streams, using: &random)
                    _ = state.put(frame(stream, nextIndex[stream]), nowNs: now)
                    nextIndex[stream] += 1
                case 1:
                    switch state.take(nowNs: now) {
                    case .frame(let taken):
                        let stream = taken.streamIndex
                        #expect(!busy.contains(stream), "stream \(stream) handed out twice")
                        #expect(taken.index > lastTaken[stream], "stream \(stream) out of order")
                        busy.insert(stream)
                        lastTaken[stream] = taken.index
                        takenAt[stream].append(now)
                    case .waitUntil(let due):
                        #expect(due > now)
                    case .waitForWork, .finished:
                        break
                    }
                default:
                    if let stream = busy.randomElement(using: &random) {
                        busy.remove(stream)
                        state.complete(stream)
                    }
                }
            }
            for (stream, counters) in state.counters.enumerated() {
                let pending = state.hasPending(stream) ? 1 : 0
                let inProgress = busy.contains(stream) ? 1 : 0
                #expect(counters.delivered == counters.dropped + counters.completed + pending + inProgress)
                // The budget: consecutive frames at least half an interval apart (the most credit it banks).
                if fps[stream] > 0 {
                    let half = UInt64(1e9 / Double(fps[stream])) / 2
                    #expect(zip(takenAt[stream], takenAt[stream].dropFirst()).allSatisfy { $1 - $0 >= half })
                }
            }
        }
    }

    @Test("a stream where nothing moves is analysed only at its floor interval; its share goes to a busy stream")
    func idleStreams() {
        // Two streams at 10 fps, one still, one moving; one worker taking 100 ms a frame; floor 2 s, for 10 s.
        var state = SchedulerState(detectFPS: [0, 0], idleCheckSeconds: [2, 2])
        var taken: [[UInt64]] = [[], []]
        var busyUntil: UInt64 = 0, holding: Int?
        for tick in 0..<1000 {
            let now = UInt64(tick) * 10 * ms
            if tick % 10 == 0 {
                _ = state.put(frame(0, Int64(tick / 10), motion: false), nowNs: now)
                _ = state.put(frame(1, Int64(tick / 10), motion: true), nowNs: now)
            }
            if busyUntil <= now {
                if let stream = holding { state.complete(stream) }
                holding = nil
                if let next = state.take(nowNs: now).frame {
                    taken[next.streamIndex].append(now)
                    holding = next.streamIndex
                    busyUntil = now + 100 * ms
                }
            }
        }
        let gaps = zip(taken[0], taken[0].dropFirst()).map { ($1 - $0) / ms }
        #expect(taken[0].count >= 5 && taken[0].count <= 6, "the still stream: \(taken[0].count) analyses in 10 s")
        #expect(gaps.allSatisfy { $0 >= 2000 && $0 <= 2100 }, "still stream analysed every \(gaps) ms")
        #expect(taken[1].count >= 90, "the moving stream gets the rest: \(taken[1].count)")
    }

    @Test("motion in an idle stream's frames, even in a frame replaced before a worker took it, ends its wait at once")
    func motionWakesIdleStream() {
        var state = SchedulerState(detectFPS: [0], idleCheckSeconds: [5])
        _ = state.put(frame(0, 0, motion: false), nowNs: 0)
        #expect(state.take(nowNs: 0).frame != nil, "a stream is analysed once before it can be idle")
        state.complete(0)
        _ = state.put(frame(0, 1, motion: false), nowNs: 100 * ms)
        guard case .waitUntil(let due) = state.take(nowNs: 100 * ms), due == 5000 * ms else {
            Issue.record("an idle stream waits for its floor")
            return
        }
        _ = state.put(frame(0, 2, motion: true), nowNs: 200 * ms)
        _ = state.put(frame(0, 3, motion: false), nowNs: 300 * ms)  // replaces the frame with motion
        #expect(state.take(nowNs: 300 * ms).frame?.index == 3)
        // Unknown motion (a format the meter cannot read) counts as motion.
        state.complete(0)
        _ = state.put(frame(0, 4, motion: nil), nowNs: 400 * ms)
        #expect(state.take(nowNs: 400 * ms).frame?.index == 4)
        // Without a floor every stream is alike.
        var alike = SchedulerState(detectFPS: [0])
        _ = alike.put(frame(0, 0, motion: false), nowNs: 0)
        #expect(alike.take(nowNs: 0).frame != nil)
        alike.complete(0)
        _ = alike.put(frame(0, 1, motion: false), nowNs: 1)
        #expect(alike.take(nowNs: 1).frame != nil)
    }

    @Test("stop discards what waits (counted); drain finishes only when nothing is pending or busy")
    func stopAndDrain() {
        var state = SchedulerState(detectFPS: [0, 0])
        _ = state.put(frame(0, 0), nowNs: 0)
        _ = state.put(frame(1, 0), nowNs: 0)
        #expect(state.take(nowNs: 1).frame?.streamIndex == 0)
        state.drain()
        #expect(state.take(nowNs: 2).frame?.streamIndex == 1)
        guard case .waitForWork = state.take(nowNs: 3) else {
            Issue.record("drained while busy")
            return
        }
        state.complete(0)
        state.complete(1)
        guard case .finished = state.take(nowNs: 4) else {
            Issue.record("drain did not finish")
            return
        }

        var stopped = SchedulerState(detectFPS: [0])
        _ = stopped.put(frame(0, 0), nowNs: 0)
        #expect(stopped.stop().count == 1)
        guard case .finished = stopped.take(nowNs: 1) else {
            Issue.record("stop did not finish")
            return
        }
        #expect(stopped.counters[0] == .init(delivered: 1, dropped: 1, completed: 0))
    }
}

/// The locking shell: blocking workers and readers on real threads.
@Suite("Frame scheduler", .timeLimit(.minutes(1)))
struct FrameSchedulerTests {
    @Test("a worker blocked in next() wakes for a delivered frame, and returns nil when stopped")
    func blockingHandOff() {
        let scheduler = FrameScheduler(detectFPS: [0])
        let received = SharedCounter(), exited = SharedCounter()
        Thread {
            while let taken = scheduler.next() {
                received.add()
                scheduler.complete(taken)
            }
            exited.add()
        }.start()
        scheduler.deliverNewest(frame(0, 0))
        #expect(ChildProcess.waitUntil(atMost: 5) { received.current == 1 })
        scheduler.stop()
        #expect(ChildProcess.waitUntil(atMost: 5) { exited.current == 1 }, "the worker did not return from next()")
    }

    @Test("a batch takes frames of different streams that are due now, without waiting for more")
    func batches() {
        let scheduler = FrameScheduler(detectFPS: [0, 0, 0])
        for stream in 0..<3 { scheduler.deliverNewest(frame(stream, 0)) }
        let first = scheduler.next(upTo: 2)
        #expect(first.count == 2 && Set(first.map(\.frame.streamIndex)).count == 2)
        let rest = scheduler.next(upTo: 5)  // one frame is due: taken at once, no waiting for a full batch
        #expect(
            rest.map(\.frame.streamIndex)
                == [0, 1, 2].filter { stream in !first.contains { $0.frame.streamIndex == stream } })
        for taken in first + rest { scheduler.complete(taken) }
        #expect(scheduler.counters().map(\.completed) == [1, 1, 1])
        scheduler.stop()
        #expect(scheduler.next(upTo: 2).isEmpty)
    }

    @Test("lossless delivery waits for the slot instead of dropping, and gives up when stopped")
    func losslessDelivery() {
        let scheduler = FrameScheduler(detectFPS: [0])
        let control = ReaderControl()
        let delivered = SharedCounter(), refused = SharedCounter()
        Thread {
            for index in 0..<40 {
                guard scheduler.deliverWaiting(frame(0, Int64(index)), control: control) else {
                    refused.add()
                    return
                }
                delivered.add()
            }
        }.start()
        var seen: [Int64] = []
        while seen.count < 20, let taken = scheduler.next() {
            seen.append(taken.frame.index)
            scheduler.complete(taken)
        }
        #expect(seen == Array(0..<20))
        #expect(scheduler.counters()[0].dropped == 0)
        // The reader has put frame 20 and now waits on the full slot for frame 21: stopping must release it.
        #expect(ChildProcess.waitUntil(atMost: 5) { delivered.current == 21 })
        scheduler.stop()
        #expect(ChildProcess.waitUntil(atMost: 5) { refused.current == 1 }, "the waiting reader did not give up")
        #expect(delivered.current == 21)
    }

    @Test(
        "a stream's lane goes out with its frame and only comes back with complete; the next worker gets the same lane, tracker and all"
    )
    func lanesTravelWithFrames() throws {
        var configuration = Configuration()
        configuration.streams = [
            StreamConfiguration(id: "a", source: .file(path: "a.mp4")),
            StreamConfiguration(id: "b", source: .file(path: "b.mp4")),
        ]
        let lanes = StreamLane.lanes(for: configuration)
        #expect(lanes.map(\.streamID) == ["a", "b"] && lanes.allSatisfy { $0.tracker != nil })
        let scheduler = FrameScheduler(detectFPS: [0, 0], lanes: lanes)
        scheduler.deliverNewest(frame(0, 0))
        let first = try #require(scheduler.next())
        #expect(first.lane === lanes[0])
        // While stream a's lane is out, a newer frame of a waits; b's frame goes out with b's lane.
        scheduler.deliverNewest(frame(0, 1))
        scheduler.deliverNewest(frame(1, 0))
        let second = try #require(scheduler.next())
        #expect(second.frame.streamIndex == 1 && second.lane === lanes[1])
        scheduler.complete(first)
        let third = try #require(scheduler.next())
        #expect(third.frame.streamIndex == 0 && third.frame.index == 1 && third.lane === lanes[0])
        scheduler.complete(second)
        scheduler.complete(third)
        scheduler.stop()
    }

    @Test("a lane gives a preview to the first frame and then at most one per preview.min_interval_ms of capture time")
    func previewThrottle() {
        let lane = StreamLane(
            index: 0, streamID: "a", tracker: nil, usesMediaTime: false, wantsPreviews: true,
            previewIntervalNs: 1_000_000_000)
        let times: [UInt64] = [5, 505, 1005, 1500, 2004, 2010, 3100].map { $0 * 1_000_000 }
        let given = times.map { time in
            var shot = frame(0, 0)
            shot.captureUptimeNs = time
            return lane.takesPreview(shot)
        }
        #expect(given == [true, false, true, false, false, true, true])
        let quiet = StreamLane(index: 0)
        #expect(!quiet.takesPreview(frame(0, 0)))
    }
}
