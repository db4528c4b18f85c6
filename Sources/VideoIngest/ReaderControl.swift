import AnalyticsCore
import Foundation
import RuntimeSupport
import Synchronization

/// Stop flag, interruptible sleep and I/O deadline of one reader thread.
///
/// FFmpeg polls `shouldInterrupt()` from inside blocking calls (open, read); it returns true when the reader is
/// stopping or the current operation ran past its deadline, which is how a dead network source is detected without
/// per-protocol timeout options.
public final class ReaderControl: Sendable {
    private let stopped = Atomic<Bool>(false)
    /// Monotonic nanoseconds after which the current blocking operation is abandoned; 0 = no deadline.
    private let deadline = Atomic<UInt64>(0)
    private let wakeUp = NSCondition()

    public init() {}

    public var isStopped: Bool { stopped.load(ordering: .acquiring) }

    public func stop() {
        stopped.store(true, ordering: .releasing)
        wakeUp.lock()
        wakeUp.broadcast()
        wakeUp.unlock()
    }

    /// Arms the deadline for the next blocking operation.
    func armDeadline(milliseconds: Int) {
        deadline.store(MonotonicClock.nowNanoseconds() + UInt64(milliseconds) * 1_000_000, ordering: .relaxed)
    }

    func disarmDeadline() {
        deadline.store(0, ordering: .relaxed)
    }

    /// True when the deadline armed last has passed.
    var deadlineExpired: Bool {
        let limit = deadline.load(ordering: .relaxed)
        return limit != 0 && MonotonicClock.nowNanoseconds() > limit
    }

    func shouldInterrupt() -> Bool {
        isStopped || deadlineExpired
    }

    /// Sleeps up to `seconds`; returns false (early) when the reader is stopped meanwhile.
    func sleep(seconds: Double) -> Bool {
        guard seconds > 0 else { return !isStopped }
        let until = ServiceClock.conditionDeadline(afterSeconds: seconds)
        wakeUp.lock()
        defer { wakeUp.unlock() }
        while !isStopped {
            if !wakeUp.wait(until: until) { break }
        }
        return !isStopped
    }
}
