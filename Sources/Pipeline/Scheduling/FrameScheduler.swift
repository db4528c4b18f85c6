import AnalyticsCore
import VideoFrames
import Foundation
import VideoIngest

/// The newest-frame mailboxes of all streams and their fair hand-out to analysis worker threads: a locking shell
/// around `SchedulerState`, which holds the whole policy (see there). Readers deliver, workers block in `next()`.
public final class FrameScheduler: FrameDelivery, @unchecked Sendable {
    // @unchecked: `state` is only touched with `condition` locked.

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
    private let nowNs: @Sendable () -> UInt64

    /// `detectFPS[i]` caps stream i's analysed frames per second; 0 means every frame. While nothing moves in stream
    /// i it is analysed once every `idleCheckSeconds[i]` (0 or absent: as often as the others). `nowNs` is the
    /// monotonic clock the policy is given (injectable for tests).
    public init(
        detectFPS: [Double], idleCheckSeconds: [Double] = [],
        nowNs: @escaping @Sendable () -> UInt64 = MonotonicClock.nowNanoseconds
    ) {
        state = SchedulerState(detectFPS: detectFPS, idleCheckSeconds: idleCheckSeconds)
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
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.1))
        }
        if control.isStopped || state.stopping { return false }
        _ = state.put(frame, nowNs: nowNs())
        condition.broadcast()
        return true
    }

    // MARK: Workers

    /// Blocks until a frame is due and returns it, or returns nil once the scheduler is stopped (or drained).
    /// The caller must call `complete(_:)` with the frame's stream index when done with it.
    public func next() -> Frame? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            let now = nowNs()
            switch state.take(nowNs: now) {
            case .frame(let frame):
                return frame
            case .finished:
                return nil
            case .waitForWork:
                condition.wait()
            case .waitUntil(let due):
                _ = condition.wait(until: Date(timeIntervalSinceNow: Double(due - now) / 1e9))
            }
        }
    }

    /// Blocks until a frame is due, then also takes up to `count - 1` more that are due now (other streams'), for a
    /// batched inference; empty once the scheduler is stopped (or drained). Each frame's stream must be completed.
    public func next(upTo count: Int) -> [Frame] {
        guard let first = next() else { return [] }
        var frames = [first]
        guard count > 1 else { return frames }
        condition.lock()
        defer { condition.unlock() }
        let now = nowNs()
        while frames.count < count, case .frame(let frame) = state.take(nowNs: now) { frames.append(frame) }
        return frames
    }

    /// Marks stream `index`'s frame as analysed, making the stream schedulable again.
    public func complete(_ index: Int) {
        condition.lock()
        state.complete(index)
        condition.broadcast()
        condition.unlock()
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
