import Synchronization

/// The one clock of a process: every component that reads time or waits for it takes one (`.system` in the
/// executables, a `ManualClock`'s in tests), so staleness, backlog skips, replay pacing, deadlines and timeouts can be
/// tested without waiting. A Swift `Clock` (monotonic instants, `sleep`), plus the wall time that messages carry.
public struct ServiceClock: Clock, Sendable {
    public typealias Duration = Swift.Duration

    /// A point of the clock's monotonic time: CLOCK_MONOTONIC for the system clock, time since its start for a manual one.
    public struct Instant: InstantProtocol, Sendable, Hashable {
        public var sinceOrigin: Swift.Duration

        public init(sinceOrigin: Swift.Duration) { self.sinceOrigin = sinceOrigin }
        public func advanced(by duration: Swift.Duration) -> Instant { Instant(sinceOrigin: sinceOrigin + duration) }
        public func duration(to other: Instant) -> Swift.Duration { other.sinceOrigin - sinceOrigin }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.sinceOrigin < rhs.sinceOrigin }
    }

    private enum Source: Sendable {
        case system
        case manual(ManualClock)
    }
    private let source: Source

    /// The operating system's clocks (CLOCK_MONOTONIC, CLOCK_REALTIME).
    public static let system = ServiceClock(source: .system)

    private init(source: Source) { self.source = source }

    /// A clock that moves only when `manual` is advanced.
    public init(_ manual: ManualClock) { source = .manual(manual) }

    public var now: Instant { Instant(sinceOrigin: .nanoseconds(Int64(uptimeNanoseconds))) }

    public var minimumResolution: Swift.Duration { .nanoseconds(1) }

    public func sleep(until deadline: Instant, tolerance: Swift.Duration? = nil) async throws {
        switch source {
        case .system:
            let remaining = now.duration(to: deadline)
            if remaining > .zero { try await Task.sleep(for: remaining, tolerance: tolerance) }
            try Task.checkCancellation()
        case .manual(let manual):
            try await manual.sleep(untilNanoseconds: UInt64(max(0, deadline.sinceOrigin.nanoseconds)))
        }
    }

    /// Monotonic nanoseconds: cheap enough for per-frame timing.
    @inline(__always)
    public var uptimeNanoseconds: UInt64 {
        switch source {
        case .system: MonotonicClock.nowNanoseconds()
        case .manual(let manual): manual.elapsedNanoseconds
        }
    }

    /// Wall time in milliseconds since the Unix epoch (capture times, message ages, time windows).
    @inline(__always)
    public var wallMilliseconds: Int64 {
        switch source {
        case .system: MonotonicClock.wallMilliseconds()
        case .manual(let manual): manual.wallMilliseconds
        }
    }

    /// Wall time in seconds since the Unix epoch.
    public var wallSeconds: Double { Double(wallMilliseconds) / 1000 }
}

extension Duration {
    /// The whole nanoseconds of a duration (saturating).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? (seconds < 0 ? .min : .max) : whole &+ attoseconds / 1_000_000_000
    }

    /// A duration in seconds as a Double.
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
