import AnalyticsCore
import Foundation
import RuntimeSupport
import VideoFrames
import VideoIngest

/// The newest-frame mailboxes of all streams and their fair hand-out to analysis worker threads: a locking shell
/// around `SchedulerState`, which holds the whole policy (see there). Readers deliver, workers block in `next()`.
/// Each stream's `StreamLane` waits in its slot and goes out with the stream's frame, to one worker at a time.
public final class FrameScheduler: FrameDelivery, @unchecked Sendable {
    // @unchecked: `state` and `lanes` are only touched with `condition` locked; a lane taken out of `lanes` belongs
    // to the one worker it was handed to until `complete` puts it back.

    /// Counters of one stream's mailbox.
    public struct Counters: Sendable, Equatable {
        /// Frames the reader delivered.
        public var delivered: Int
        /// Frames replaced by a newer one before any worker took them (or discarded at shutdown).
        public var dropped: Int
        /// Frames analysed to completion.
        public var completed: Int
    }

    private let condition = NSCondition()
    private var state: SchedulerState
    /// Per stream, its lane while no worker holds it.
    private var lanes: [StreamLane?]
    /// Per stream, a lane that replaces the one a worker holds when the worker completes (`renew`).
    private var renewals: [StreamLane?]
    private let nowNs: @Sendable () -> UInt64

    /// `detectFPS[i]` caps stream i's analysed frames per second; 0 means every frame. While nothing moves in stream
    /// i it is analysed once every `idleCheckSeconds[i]` (0 or absent: as often as the others). `nowNs` is the
    /// monotonic clock the policy is given (injectable for tests). `lanes[i]` is stream i's lane (default: bare
    /// lanes, no tracker and no previews).
    public init(
        detectFPS: [Double], idleCheckSeconds: [Double] = [], lanes: [StreamLane]? = nil,
        nowNs: @escaping @Sendable () -> UInt64 = MonotonicClock.nowNanoseconds
    ) {
        let lanes = lanes ?? detectFPS.indices.map { StreamLane(index: $0) }
        precondition(
            lanes.count == detectFPS.count && lanes.enumerated().allSatisfy { $0 == $1.index },
            "one lane per stream, in stream order")
        state = SchedulerState(detectFPS: detectFPS, idleCheckSeconds: idleCheckSeconds)
        self.lanes = lanes
        renewals = lanes.map { _ in nil }
        self.nowNs = nowNs
    }

    // MARK: FrameDelivery (reader threads)

    public func deliverNewest(_ frame: Frame) {
        condition.lock()
        let replaced = state.put(frame, nowNs: nowNs())
        condition.broadcast()
        condition.unlock()
        _ = replaced  // Released outside the lock: its pixels go back to the stream's pool.
    }

    public func deliverWaiting(_ frame: Frame, control: ReaderControl) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while state.hasPending(frame.streamIndex) {
            if control.isStopped || state.stopping { return false }
            _ = condition.wait(until: ServiceClock.conditionDeadline(afterSeconds: 0.1))
        }
        if control.isStopped || state.stopping { return false }
        _ = state.put(frame, nowNs: nowNs())
        condition.broadcast()
        return true
    }

    // MARK: Workers

    /// Blocks until a frame is due and returns it with its stream's lane, or returns nil once the scheduler is
    /// stopped (or drained). The caller must hand it back with `complete(_:)` when done with it.
    public func next() -> TakenFrame? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            let now = nowNs()
            switch state.take(nowNs: now) {
            case .frame(let frame):
                return handOut(frame)
            case .finished:
                return nil
            case .waitForWork:
                condition.wait()
            case .waitUntil(let due):
                _ = condition.wait(until: ServiceClock.conditionDeadline(afterSeconds: Double(due - now) / 1e9))
            }
        }
    }

    /// Blocks until a frame is due, then also takes up to `count - 1` more that are due now (other streams'), for a
    /// batched inference; empty once the scheduler is stopped (or drained). Each must be completed.
    public func next(upTo count: Int) -> [TakenFrame] {
        guard let first = next() else { return [] }
        var taken = [first]
        guard count > 1 else { return taken }
        condition.lock()
        defer { condition.unlock() }
        let now = nowNs()
        while taken.count < count, case .frame(let frame) = state.take(nowNs: now) { taken.append(handOut(frame)) }
        return taken
    }

    /// The frame with its stream's lane, which leaves the slot (the state machine never hands out a stream's frame
    /// while one of its frames is out). Called with the lock held.
    private func handOut(_ frame: Frame) -> TakenFrame {
        guard let lane = lanes[frame.streamIndex] else {
            preconditionFailure("stream \(frame.streamIndex) handed out twice")
        }
        lanes[frame.streamIndex] = nil
        return TakenFrame(frame: frame, lane: lane)
    }

    /// Gives a taken frame's lane back: the frame is analysed, and its stream is schedulable again.
    public func complete(_ taken: TakenFrame) {
        condition.lock()
        let index = taken.lane.index
        lanes[index] = renewals[index] ?? taken.lane
        renewals[index] = nil
        state.complete(index)
        condition.broadcast()
        condition.unlock()
    }

    // MARK: Streams that stop and start (fleet mode)

    /// Drops stream `index`'s waiting frame (its reader has stopped; counted as not analysed) and gives the stream
    /// `lane` from now on: at once, or as soon as the worker holding the old lane completes its frame.
    public func renew(_ lane: StreamLane) {
        condition.lock()
        let discarded = state.discard(lane.index)
        if lanes[lane.index] != nil {
            lanes[lane.index] = lane
        } else {
            renewals[lane.index] = lane
        }
        condition.unlock()
        _ = discarded  // Released outside the lock.
    }

    /// Drops stream `index`'s waiting frame (its reader has stopped), counted as not analysed.
    public func discardWaiting(_ index: Int) {
        condition.lock()
        let discarded = state.discard(index)
        condition.unlock()
        _ = discarded
    }

    // MARK: Lifecycle and counters

    /// Workers finish what is pending, then `next()` returns nil (the sources have ended).
    public func drainAndFinish() {
        condition.lock()
        state.drain()
        condition.broadcast()
        condition.unlock()
    }

    /// `next()` returns nil at once; frames still waiting are counted as dropped.
    public func stop() {
        condition.lock()
        let discarded = state.stop()
        condition.broadcast()
        condition.unlock()
        _ = discarded  // Released outside the lock.
    }

    public func counters() -> [Counters] {
        condition.lock()
        defer { condition.unlock() }
        return state.counters
    }
}
