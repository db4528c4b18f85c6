import AnalyticsCore
import Foundation
import VideoIngest

/// The newest-frame mailboxes of all streams and the fair hand-out of their frames to analysis workers.
///
/// Each stream has one slot. A reader putting a frame into an occupied slot replaces the older frame, which is counted
/// as dropped (decoded but never analysed): frames are never queued, so latency cannot grow. A worker asking for work
/// gets the newest frame of the stream that has waited longest, among streams whose `detect_fps` budget allows a frame
/// now and that no other worker is busy with (so each stream's frames are analysed in order, one at a time).
public final class FrameScheduler: FrameDelivery, @unchecked Sendable {
    // @unchecked: every stored property below is guarded by `condition`.
    private struct Slot {
        var pending: Frame?
        /// Monotonic time the oldest frame that is waiting (possibly replaced since) arrived.
        var waitingSinceNs: UInt64 = 0
        var busy = false
        var nextDueNs: UInt64 = 0
        let intervalNs: UInt64
        var delivered = 0
        var dropped = 0
        var taken = 0
        var completed = 0
    }

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
    private var slots: [Slot]
    private var stopping = false
    private var draining = false

    /// `detectFPS[i]` caps stream i's analysed frames per second; 0 means every frame.
    public init(detectFPS: [Double]) {
        slots = detectFPS.map { fps in Slot(intervalNs: fps > 0 ? UInt64(1e9 / fps) : 0) }
    }

    // MARK: FrameDelivery (reader threads)

    /// Workers materialize a frame's pixels when they take it, so readers need not convert frames that are replaced
    /// in the mailbox before anyone takes them.
    public var acceptsDeferredPixels: Bool { true }

    public func deliverNewest(_ frame: Frame) {
        let replaced: Frame?
        condition.lock()
        replaced = put(frame)
        condition.broadcast()
        condition.unlock()
        _ = replaced  // Released outside the lock: its pixels go back to the stream's pool.
    }

    public func deliverWaiting(_ frame: Frame, control: ReaderControl) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while slots[frame.streamIndex].pending != nil {
            if control.isStopped || stopping { return false }
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.1))
        }
        if control.isStopped || stopping { return false }
        _ = put(frame)
        condition.broadcast()
        return true
    }

    private func put(_ frame: Frame) -> Frame? {
        let index = frame.streamIndex
        slots[index].delivered += 1
        let replaced = slots[index].pending
        if replaced != nil {
            slots[index].dropped += 1
        } else {
            slots[index].waitingSinceNs = MonotonicClock.nowNanoseconds()
        }
        slots[index].pending = frame
        return replaced
    }

    // MARK: Workers

    /// Blocks until a frame is due and returns it, or returns nil once the scheduler is stopped (or drained).
    /// The caller must call `complete(_:)` with the frame's stream index when done with it.
    public func next() -> Frame? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if stopping { return nil }
            let now = MonotonicClock.nowNanoseconds()
            var chosen = -1
            var chosenWaitingSince = UInt64.max
            var earliestDue = UInt64.max
            var anyBusy = false
            for index in slots.indices {
                anyBusy = anyBusy || slots[index].busy
                guard slots[index].pending != nil, !slots[index].busy else { continue }
                let due = slots[index].nextDueNs
                if due > now {
                    earliestDue = min(earliestDue, due)
                    continue
                }
                let waitingSince = max(slots[index].waitingSinceNs, due)
                if waitingSince < chosenWaitingSince {
                    chosen = index
                    chosenWaitingSince = waitingSince
                }
            }
            if chosen >= 0 {
                return take(chosen, now: now)
            }
            if draining && earliestDue == .max && !anyBusy && slots.allSatisfy({ $0.pending == nil }) {
                return nil
            }
            if earliestDue == .max {
                condition.wait()
            } else {
                _ = condition.wait(until: Date(timeIntervalSinceNow: Double(earliestDue - now) / 1e9))
            }
        }
    }

    private func take(_ index: Int, now: UInt64) -> Frame {
        let frame = slots[index].pending!
        slots[index].pending = nil
        slots[index].busy = true
        slots[index].taken += 1
        let interval = slots[index].intervalNs
        if interval > 0 {
            // Keep the phase of the budget (so a 10 fps source at detect_fps 5 yields exactly 5) but bank at most
            // half an interval of credit after a stall, so a slow moment is not followed by a burst.
            let previous = slots[index].nextDueNs
            let floor = now - min(now, interval / 2)
            slots[index].nextDueNs = previous == 0 ? now &+ interval : max(previous &+ interval, floor)
        }
        return frame
    }

    /// Marks stream `index`'s frame as analysed, making the stream schedulable again.
    public func complete(_ index: Int) {
        condition.lock()
        slots[index].busy = false
        slots[index].completed += 1
        condition.broadcast()
        condition.unlock()
    }

    // MARK: Lifecycle and counters

    /// Workers finish what is pending, then `next()` returns nil (the sources have ended).
    public func drainAndFinish() {
        condition.lock()
        draining = true
        condition.broadcast()
        condition.unlock()
    }

    /// `next()` returns nil at once; frames still waiting are counted as dropped.
    public func stop() {
        condition.lock()
        stopping = true
        for index in slots.indices where slots[index].pending != nil {
            slots[index].pending = nil
            slots[index].dropped += 1
        }
        condition.broadcast()
        condition.unlock()
    }

    public func counters() -> [Counters] {
        condition.lock()
        defer { condition.unlock() }
        return slots.map { Counters(delivered: $0.delivered, dropped: $0.dropped, completed: $0.completed) }
    }
}
