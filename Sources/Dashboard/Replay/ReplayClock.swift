/// A replay's clock: the capture time being shown, moved on by wall time times the speed. Pure (every call is given
/// the wall time), so the pacing is tested without sleeping; `ReplaySession` runs it.
struct ReplayClock: Equatable {
    /// A silence on the bus longer than this (replay time) is skipped instead of waited through.
    static let gapSkipMs: Int64 = 10_000

    enum Decision: Equatable {
        /// The message is due: show it.
        case show
        /// Not yet: ask again after this long (at most 100 ms, so control changes are seen promptly).
        case wait(milliseconds: Int)
    }

    private(set) var atMs: Int64
    var speed: Double
    private var lastWallMs: Int64?

    init(fromMs: Int64, speed: Double) {
        atMs = fromMs
        self.speed = speed
    }

    /// Moves on to wall time `wallMs` and says whether the message captured at `capturedMs` is due.
    mutating func due(_ capturedMs: Int64, wallMs: Int64) -> Decision {
        if let last = lastWallMs { atMs += Int64(Double(wallMs - last) * speed) }
        lastWallMs = wallMs
        if capturedMs - atMs > Self.gapSkipMs { atMs = capturedMs }
        guard atMs < capturedMs else { return .show }
        return .wait(milliseconds: max(1, min(100, Int(Double(capturedMs - atMs) / speed))))
    }

    /// Paused: wall time passes, the clock does not.
    mutating func hold(wallMs: Int64) { lastWallMs = wallMs }

    /// A step: the next message is shown now, and the clock stands at its capture time.
    mutating func jump(to capturedMs: Int64, wallMs: Int64) {
        atMs = max(atMs, capturedMs)
        lastWallMs = wallMs
    }
}
