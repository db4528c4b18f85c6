import RuntimeSupport

/// Polls `condition` every 5 ms of real time until it holds or `seconds` pass; for in-process tests whose code under
/// test runs in other tasks or threads. True when it held.
public func eventually(within seconds: Double = 5, _ condition: () -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: .seconds(seconds))
    while clock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

extension ManualClock {
    /// Advances the clock and waits (real time, bounded) until `sleepers` tasks sleep on it again: the woken ones
    /// have done their work and wait for the next deadline.
    @discardableResult
    public func advance(by duration: Duration, thenAwaitSleepers sleepers: Int) async -> Bool {
        advance(by: duration)
        return await eventually { sleeperCount >= sleepers }
    }
}
