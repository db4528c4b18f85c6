import AnalyticsCore
import VideoFrames

/// The scheduling policy of `FrameScheduler` as a pure state machine: no locks, no clock, no threads. Every call is
/// given the time, so the policy is tested exhaustively and without sleeping.
///
/// Each stream has one newest-frame slot. `put` replaces an untaken frame (counted as dropped): frames are never
/// queued, so latency cannot grow. `take` hands out the newest frame of the stream that has waited longest (ties: the
/// one served least recently), among streams whose `detect_fps` budget allows a frame now and that no worker is busy
/// with (so each stream's frames are analysed in order, one at a time). `complete` makes the stream schedulable again.
///
/// Activity: a stream whose frames showed no motion since it was last analysed is idle, and is analysed only once
/// every `idleCheckSeconds` (the floor that still finds an object that appeared without the motion meter noticing);
/// the detector time it leaves goes to the streams where something moves.
struct SchedulerState {
    struct Slot {
        var pending: Frame?
        /// When the oldest frame that is waiting (possibly replaced since) arrived.
        var waitingSinceNs: UInt64 = 0
        var busy = false
        /// When a worker last took a frame of this stream: among streams that have waited equally long, the one
        /// served least recently goes first (readers that deliver in step would otherwise favour low indices).
        var lastTakenNs: UInt64 = 0
        var everTaken = false
        /// Before this time the stream's `detect_fps` budget allows no frame (0: at once).
        var nextDueNs: UInt64 = 0
        let intervalNs: UInt64
        /// How often the stream is still analysed while idle; 0 = as often as the others.
        let idleCheckNs: UInt64
        /// Whether any frame delivered since the stream was last taken showed motion (or could not be measured).
        var motionSinceTaken = true
        var counters = FrameScheduler.Counters(delivered: 0, dropped: 0, completed: 0)
    }

    /// What a worker asking for work gets.
    enum Decision {
        /// Analyse this frame, then `complete` its stream.
        case frame(Frame)
        /// Nothing is due before this time (a stream's budget opens then); ask again then or when a frame arrives.
        case waitUntil(UInt64)
        /// Nothing is pending: ask again when a frame arrives or a stream completes.
        case waitForWork
        /// Stopped, or drained with nothing left: the worker exits.
        case finished
    }

    private(set) var slots: [Slot]
    private(set) var stopping = false
    private(set) var draining = false

    /// `detectFPS[i]` caps stream i's analysed frames per second; 0 means every frame. `idleCheckSeconds[i]`: how
    /// often stream i is still analysed while nothing moves in it (0 or absent: as often as the others).
    init(detectFPS: [Double], idleCheckSeconds: [Double] = []) {
        slots = detectFPS.indices.map { index in
            let fps = detectFPS[index]
            let idle = index < idleCheckSeconds.count ? max(0, idleCheckSeconds[index]) : 0
            return Slot(intervalNs: fps > 0 ? UInt64(1e9 / fps) : 0, idleCheckNs: UInt64(idle * 1e9))
        }
    }

    /// Stores `frame` as its stream's newest; returns the frame it replaced (never analysed), if any.
    mutating func put(_ frame: Frame, nowNs: UInt64) -> Frame? {
        let index = frame.streamIndex
        slots[index].counters.delivered += 1
        slots[index].motionSinceTaken = slots[index].motionSinceTaken || (frame.motion ?? true)
        let replaced = slots[index].pending
        if replaced != nil {
            slots[index].counters.dropped += 1
        } else {
            slots[index].waitingSinceNs = nowNs
        }
        slots[index].pending = frame
        return replaced
    }

    /// True while stream `index` holds a frame no worker has taken.
    func hasPending(_ index: Int) -> Bool { slots[index].pending != nil }

    mutating func take(nowNs now: UInt64) -> Decision {
        if stopping { return .finished }
        var chosen = -1
        var chosenRank = (waitingSince: UInt64.max, lastTaken: UInt64.max)
        var earliestDue = UInt64.max
        var anyBusy = false
        var anyPending = false
        for index in slots.indices {
            anyBusy = anyBusy || slots[index].busy
            anyPending = anyPending || slots[index].pending != nil
            guard slots[index].pending != nil, !slots[index].busy else { continue }
            var due = slots[index].nextDueNs
            let idleCheck = slots[index].idleCheckNs
            if idleCheck > 0 && !slots[index].motionSinceTaken && slots[index].everTaken {
                due = max(due, slots[index].lastTakenNs &+ idleCheck)  // idle: only the floor
            }
            if due > now {
                earliestDue = min(earliestDue, due)
                continue
            }
            // A frame that waited through a closed budget counts as waiting since the budget opened.
            let rank = (waitingSince: max(slots[index].waitingSinceNs, due), lastTaken: slots[index].lastTakenNs)
            if rank < chosenRank {
                chosen = index
                chosenRank = rank
            }
        }
        if chosen >= 0 { return .frame(hand(chosen, nowNs: now)) }
        if draining && !anyBusy && !anyPending { return .finished }
        return earliestDue == .max ? .waitForWork : .waitUntil(earliestDue)
    }

    private mutating func hand(_ index: Int, nowNs now: UInt64) -> Frame {
        let frame = slots[index].pending!
        slots[index].pending = nil
        slots[index].busy = true
        slots[index].lastTakenNs = now
        slots[index].everTaken = true
        slots[index].motionSinceTaken = false
        let interval = slots[index].intervalNs
        if interval > 0 {
            // Keep the phase of the budget (so a 10 fps source at detect_fps 5 yields exactly 5) but bank at most
            // half an interval of credit after a stall, so a slow moment is not followed by a burst: the next frame
            // is due no sooner than half an interval from now.
            let previous = slots[index].nextDueNs
            let earliest = now &+ interval / 2
            slots[index].nextDueNs = previous == 0 ? now &+ interval : max(previous &+ interval, earliest)
        }
        return frame
    }

    /// Stream `index`'s frame is analysed: the stream is schedulable again.
    mutating func complete(_ index: Int) {
        precondition(slots[index].busy, "complete(\(index)) without a frame taken from that stream")
        slots[index].busy = false
        slots[index].counters.completed += 1
    }

    /// Drops stream `index`'s waiting frame, if any (counted as dropped), and returns it.
    mutating func discard(_ index: Int) -> Frame? {
        guard let frame = slots[index].pending else { return nil }
        slots[index].pending = nil
        slots[index].counters.dropped += 1
        return frame
    }

    /// Workers finish what is pending, then `take` says `.finished` (the sources have ended).
    mutating func drain() { draining = true }

    /// `take` says `.finished` from now on; returns the frames still waiting, counted as dropped.
    mutating func stop() -> [Frame] {
        stopping = true
        return slots.indices.compactMap { discard($0) }
    }

    var counters: [FrameScheduler.Counters] { slots.map(\.counters) }
}
