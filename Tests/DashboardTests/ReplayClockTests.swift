import Testing

@testable import Dashboard

/// The replay's pacing, driven with explicit wall times: no sleeping.
@Suite("Replay clock", .timeLimit(.minutes(1)))
struct ReplayClockTests {
    @Test("at 1x a message is due when as much wall time has passed as capture time separates it from the start")
    func realTime() {
        var clock = ReplayClock(fromMs: 1_000_000, speed: 1)
        #expect(clock.due(1_000_000, wallMs: 50) == .show, "the first message at the start time is due at once")
        #expect(clock.due(1_000_500, wallMs: 50) == .wait(milliseconds: 100))
        #expect(clock.due(1_000_500, wallMs: 450) == .wait(milliseconds: 100))
        #expect(clock.due(1_000_500, wallMs: 500) == .wait(milliseconds: 50))
        #expect(clock.due(1_000_500, wallMs: 550) == .show)
        #expect(clock.atMs == 1_000_500)
    }

    @Test("at 16x capture time passes sixteen times as fast; the speed can change on the way")
    func faster() {
        var clock = ReplayClock(fromMs: 0, speed: 16)
        _ = clock.due(0, wallMs: 1000)
        #expect(clock.due(1600, wallMs: 1050) == .wait(milliseconds: 50))
        #expect(clock.due(1600, wallMs: 1100) == .show)
        clock.speed = 4
        #expect(clock.due(2000, wallMs: 1150) == .wait(milliseconds: 50))
        #expect(clock.due(2000, wallMs: 1200) == .show)
    }

    @Test("paused, wall time passes without moving the clock; a step jumps to the next message")
    func pauseAndStep() {
        var clock = ReplayClock(fromMs: 0, speed: 1)
        _ = clock.due(0, wallMs: 0)
        clock.hold(wallMs: 10_000)
        #expect(clock.atMs == 0)
        #expect(clock.due(200, wallMs: 10_100) == .wait(milliseconds: 100), "only the 100 ms since the pause ended")
        clock.jump(to: 5000, wallMs: 10_150)
        #expect(clock.atMs == 5000)
        #expect(clock.due(5000, wallMs: 10_150) == .show)
    }

    @Test("a silence longer than 10 s of replay time is skipped, a shorter one is waited through")
    func gaps() {
        var clock = ReplayClock(fromMs: 0, speed: 1)
        #expect(clock.due(ReplayClock.gapSkipMs + 1, wallMs: 0) == .show)
        #expect(clock.atMs == ReplayClock.gapSkipMs + 1)
        #expect(clock.due(clock.atMs + 9000, wallMs: 0) == .wait(milliseconds: 100))
    }
}
