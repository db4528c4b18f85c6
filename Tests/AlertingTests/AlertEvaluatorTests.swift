import AnalyticsCore
import Foundation
import Messages
import Testing
import Zones

@testable import Alerting

/// The rules' state machines over scripted frames: what fires and resolves, when, with which id; and that a
/// checkpoint taken anywhere and restored decides exactly what an uninterrupted evaluation decides.
@Suite struct AlertEvaluatorTests {
    static func rule(_ name: String, _ kind: AlertRule.Kind, _ configure: (inout AlertRule) -> Void) -> AlertRule {
        var rule = AlertRule(name: name, kind: kind)
        configure(&rule)
        return rule
    }

    static func frame(
        _ stream: String, _ ms: Int64, id: Int64 = 0, run: String = "r1", zone: Int? = nil,
        crossings: (l2r: Int, r2l: Int)? = nil, tracks: [Track] = []
    ) -> FrameResult {
        var frame = FrameResult(
            streamID: stream, frameID: id, runID: run, timestampMs: ms, width: 640, height: 480, tracks: tracks)
        if let zone { frame.zones = [("path", ["person": zone])] }
        if let crossings {
            frame.lines = [
                (
                    "gate",
                    [.leftToRight: ["person": crossings.l2r], .rightToLeft: ["person": crossings.r2l]]
                )
            ]
        }
        return frame
    }

    @Test func occupancyGoesPendingFiringResolved() {
        let crowd = Self.rule("crowd", .occupancy) {
            $0.zone = "path"
            $0.minCount = 3
            $0.forSeconds = 4
        }
        var evaluator = AlertEvaluator(rules: [crowd], streams: [])
        var sent: [AlertNotification] = []
        // 2 s looks: 3+ from t=10 s; fires at the first look at or after 14 s; drops below at 20 s.
        for (ms, count) in [(8_000, 1), (10_000, 3), (12_000, 4), (14_000, 3), (16_000, 5), (18_000, 3), (20_000, 2)] {
            sent += evaluator.observe(Self.frame("cam-1", Int64(ms), id: Int64(ms / 100), zone: count))
        }
        #expect(sent.map(\.id) == ["crowd/cam-1/path/14000/firing", "crowd/cam-1/path/14000/resolved"])
        #expect(sent[0].state == .firing && sent[0].value == 3 && sent[0].at_ms == 14_000 && sent[0].frame_id == 140)
        #expect(sent[1].state == .resolved && sent[1].ended_at_ms == 20_000 && sent[1].started_at_ms == 14_000)
        #expect(sent[0].text == "3 objects in path on cam-1 (crowd)")
        // A dip below the count before for_s passed starts the wait again.
        sent = []
        for (ms, count) in [(30_000, 3), (32_000, 2), (34_000, 3), (36_000, 3), (38_000, 4)] {
            sent += evaluator.observe(Self.frame("cam-1", Int64(ms), zone: count))
        }
        #expect(sent.map(\.id) == ["crowd/cam-1/path/38000/firing"])
        #expect(evaluator.firing == ["crowd/cam-1/path"])
    }

    @Test func repeatsWhileFiring() {
        let crowd = Self.rule("crowd", .occupancy) {
            $0.zone = "path"
            $0.repeatSeconds = 10
        }
        var evaluator = AlertEvaluator(rules: [crowd], streams: [])
        var sent: [AlertNotification] = []
        for second in stride(from: 0, through: 24, by: 3) {
            sent += evaluator.observe(Self.frame("cam", Int64(second * 1000), zone: 1))
        }
        #expect(
            sent.map(\.id) == ["crowd/cam/path/0/firing", "crowd/cam/path/0/repeat-1", "crowd/cam/path/0/repeat-2"])
        #expect(sent.map(\.at_ms) == [0, 12_000, 24_000])
    }

    @Test func crossingsCountNewCrossingsInTheWindow() {
        let busy = Self.rule("busy", .crossings) {
            $0.line = "gate"
            $0.minCount = 3
            $0.windowSeconds = 10
            $0.direction = "left_to_right"
        }
        var evaluator = AlertEvaluator(rules: [busy], streams: [])
        var sent: [AlertNotification] = []
        // Running totals per run: +1 at 2 s, +1 at 4 s (and one right-to-left, not counted), +1 at 6 s → 3 in the
        // window; at 13 s the crossing of 2 s is out (window (3 s, 13 s]) → resolved.
        let totals: [(Int64, Int, Int)] = [
            (0, 5, 0), (2_000, 6, 0), (4_000, 7, 1), (6_000, 8, 1), (9_000, 8, 1), (13_000, 8, 1),
        ]
        for (ms, l2r, r2l) in totals { sent += evaluator.observe(Self.frame("cam", ms, crossings: (l2r, r2l))) }
        #expect(sent.map(\.id) == ["busy/cam/gate/6000/firing", "busy/cam/gate/6000/resolved"])
        #expect(sent[0].value == 3 && sent[1].ended_at_ms == 13_000)
        // A new run starts its totals at zero: its first frame's totals are all new.
        sent = evaluator.observe(Self.frame("cam", 14_000, run: "r2", crossings: (3, 0)))
        #expect(sent.map(\.id) == ["busy/cam/gate/14000/firing"])
    }

    @Test func dwellFollowsTracksInTheZone() {
        let zone = ZoneDefinition(
            name: "path", polygon: [.init(x: 0, y: 0), .init(x: 0.5, y: 0), .init(x: 0.5, y: 1), .init(x: 0, y: 1)],
            classes: [], dwellSeconds: nil, anchor: .bottomCentre)
        var stream = StreamConfiguration(id: "cam", source: .file(path: "x.mp4"))
        stream.zones = [zone]
        let loiter = Self.rule("loiter", .dwell) {
            $0.zone = "path"
            $0.minSeconds = 10
            $0.classes = ["person"]
        }
        var evaluator = AlertEvaluator(rules: [loiter], streams: [stream])
        func person(_ id: Int, x: Float) -> Track {
            Track(trackID: id, classID: 0, className: "person", confidence: 0.9, x1: x, y1: 100, x2: x + 20, y2: 200)
        }
        func car(_ id: Int, x: Float) -> Track {
            Track(trackID: id, classID: 2, className: "car", confidence: 0.9, x1: x, y1: 100, x2: x + 20, y2: 200)
        }
        var sent: [AlertNotification] = []
        // Person 1 inside from 0 s; a car inside all along (not counted); person 2 outside. Person 1 leaves at 14 s.
        for second in stride(from: 0, through: 16, by: 2) {
            let x: Float = second < 14 ? 100 : 500
            sent += evaluator.observe(
                Self.frame("cam", Int64(second * 1000), tracks: [person(1, x: x), car(7, x: 50), person(2, x: 600)]))
        }
        #expect(sent.map(\.id) == ["loiter/cam/path/10000/firing", "loiter/cam/path/10000/resolved"])
        #expect(sent[1].ended_at_ms == 14_000)
    }

    @Test func presenceOnlyDuringItsSchedule() throws {
        let night = Self.rule("night", .presence) {
            $0.zone = "path"
            $0.schedule = AlertSchedule("22:00-06:00", timeZone: "Europe/Berlin")
        }
        #expect(AlertSchedule("22:00-06:00", timeZone: "UTC")?.contains(milliseconds: 0) == true)  // 00:00 UTC
        let schedule = try #require(night.schedule)
        // 2026-07-01 19:59 UTC is 21:59 in Berlin (summer time): outside; 20:00 UTC is 22:00: inside.
        let before = Int64(Date(timeIntervalSince1970: 1_782_935_940).timeIntervalSince1970 * 1000)
        #expect(!schedule.contains(milliseconds: before) && schedule.contains(milliseconds: before + 60_000))
        var evaluator = AlertEvaluator(rules: [night], streams: [])
        var sent = evaluator.observe(Self.frame("cam", before, zone: 2))
        #expect(sent.isEmpty)
        sent = evaluator.observe(Self.frame("cam", before + 60_000, zone: 2))
        #expect(sent.map(\.state) == [.firing])
        sent = evaluator.observe(Self.frame("cam", before + 120_000, zone: 0))
        #expect(sent.map(\.state) == [.resolved])
    }

    @Test func streamDownByClockAndByAGapReadLater() {
        let down = Self.rule("down", .streamDown) { $0.forSeconds = 10 }
        // Live: the clock check fires 10 s after the last frame; the next frame resolves it.
        var live = AlertEvaluator(rules: [down], streams: [])
        _ = live.observe(Self.frame("cam", 1_000))
        #expect(live.checkSilence(nowMs: 10_900).isEmpty)
        let fired = live.checkSilence(nowMs: 11_300)
        #expect(fired.map(\.id) == ["down/cam/-/11000/firing"])
        #expect(live.checkSilence(nowMs: 12_300).isEmpty)
        let resolved = live.observe(Self.frame("cam", 25_000))
        #expect(resolved.map(\.id) == ["down/cam/-/11000/resolved"] && resolved[0].ended_at_ms == 25_000)
        // The same frames read later (a catch-up): the gap decides the same two notifications.
        var later = AlertEvaluator(rules: [down], streams: [])
        _ = later.observe(Self.frame("cam", 1_000))
        let both = later.observe(Self.frame("cam", 25_000))
        #expect(both.map(\.id) == ["down/cam/-/11000/firing", "down/cam/-/11000/resolved"])
    }

    /// Random frames of 4 streams and every rule kind, evaluated once straight through and once with the state
    /// saved as JSON and restored at random points, each restart reading again from a random earlier point (the
    /// frames after a checkpoint are read again): the second sees every id of the first, and no other.
    @Test func restoredCheckpointsDecideTheSameIds() throws {
        let zone = ZoneDefinition(
            name: "path", polygon: [.init(x: 0, y: 0), .init(x: 0.5, y: 0), .init(x: 0.5, y: 1), .init(x: 0, y: 1)],
            classes: [], dwellSeconds: nil, anchor: .bottomCentre)
        let streams = (1...4).map { index -> StreamConfiguration in
            var stream = StreamConfiguration(id: "cam-\(index)", source: .file(path: "x.mp4"))
            stream.zones = [zone]
            return stream
        }
        let rules = [
            Self.rule("crowd", .occupancy) {
                $0.zone = "path"
                $0.minCount = 2
                $0.forSeconds = 3
                $0.repeatSeconds = 5
            },
            Self.rule("busy", .crossings) {
                $0.line = "gate"
                $0.minCount = 2
                $0.windowSeconds = 8
            },
            Self.rule("loiter", .dwell) {
                $0.zone = "path"
                $0.minSeconds = 6
            },
            Self.rule("down", .streamDown) { $0.forSeconds = 7 },
        ]
        var random = SeededRandomGenerator(seed: 26)
        var frames: [FrameResult] = []
        var clock: [Int64] = [0, 0, 0, 0]
        var totals = [(0, 0), (0, 0), (0, 0), (0, 0)]
        for index in 0..<600 {
            let s = Int.random(in: 0..<4, using: &random)
            clock[s] +=
                Int64.random(in: 500...3000, using: &random) + (Int.random(in: 0..<40, using: &random) == 0 ? 9000 : 0)
            if Bool.random(using: &random) { totals[s].0 += Int.random(in: 0...1, using: &random) }
            if Bool.random(using: &random) { totals[s].1 += Int.random(in: 0...1, using: &random) }
            let tracks = (0..<Int.random(in: 0...3, using: &random)).map { id in
                Track(
                    trackID: id, classID: 0, className: "person", confidence: 0.8,
                    x1: Float.random(in: 0...600, using: &random), y1: 100, x2: 640, y2: 300)
            }
            frames.append(
                Self.frame(
                    "cam-\(s + 1)", clock[s], id: Int64(index), zone: Int.random(in: 0...3, using: &random),
                    crossings: totals[s], tracks: tracks))
        }
        var straight = AlertEvaluator(rules: rules, streams: streams)
        var expected: [String] = []
        for frame in frames { expected += straight.observe(frame).map(\.id) }
        #expect(expected.count > 50, "the script should make many notifications, made \(expected.count)")

        var seen = Set<String>()
        var evaluator = AlertEvaluator(rules: rules, streams: streams)
        var checkpoint: (next: Int, state: Data) = (0, try JSONEncoder().encode(evaluator.state))
        var position = 0
        while position < frames.count {
            seen.formUnion(evaluator.observe(frames[position]).map(\.id))
            position += 1
            if Int.random(in: 0..<10, using: &random) == 0 {
                checkpoint = (position, try JSONEncoder().encode(evaluator.state))
            }
            if Int.random(in: 0..<25, using: &random) == 0 {
                // A crash: back to the last checkpoint, reading again from there.
                let state = try JSONDecoder().decode(AlertEvaluatorState.self, from: checkpoint.state)
                evaluator = AlertEvaluator(rules: rules, streams: streams, state: state)
                position = checkpoint.next
            }
        }
        #expect(seen == Set(expected))
    }
}
