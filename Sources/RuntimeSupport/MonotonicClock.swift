import Foundation

/// The project's clock: CLOCK_MONOTONIC in nanoseconds, cheap enough for FFmpeg's interrupt polling and immune to
/// wall-clock steps. Types whose behaviour depends on time take a `nowNs` function defaulting to it (tests inject one).
public enum MonotonicClock {
    @inline(__always)
    public static func nowNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// Wall clock in milliseconds since the Unix epoch (for message timestamps).
    @inline(__always)
    public static func wallMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
