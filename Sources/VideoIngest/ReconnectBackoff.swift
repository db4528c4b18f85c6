/// Exponential backoff between reconnect attempts: initial, doubling, capped, with jitter so that many cameras
/// behind one failed switch do not reconnect in lock-step.
public struct ReconnectBackoff: Sendable {
    public let initialSeconds: Double
    public let maximumSeconds: Double
    /// Fraction of each delay that is randomised (0.2 = ±10 %).
    public let jitter: Double
    public private(set) var failures = 0

    public init(initialSeconds: Double, maximumSeconds: Double, jitter: Double = 0.2) {
        precondition(initialSeconds > 0 && maximumSeconds >= initialSeconds)
        self.initialSeconds = initialSeconds
        self.maximumSeconds = maximumSeconds
        self.jitter = jitter
    }

    /// The delay before the next attempt; each call counts one more failure.
    public mutating func nextDelay<G: RandomNumberGenerator>(using generator: inout G) -> Double {
        let exponent = min(failures, 62)
        failures += 1
        let base = min(maximumSeconds, initialSeconds * Double(1 << UInt64(min(exponent, 30))))
        guard jitter > 0 else { return base }
        let spread = base * jitter
        return min(
            maximumSeconds,
            max(initialSeconds * (1 - jitter / 2), base - spread / 2 + Double.random(in: 0...spread, using: &generator))
        )
    }

    public mutating func nextDelay() -> Double {
        var generator = SystemRandomNumberGenerator()
        return nextDelay(using: &generator)
    }

    /// Called once the source delivers frames again.
    public mutating func reset() {
        failures = 0
    }
}
