import Testing

@testable import Tracking

@Suite("ByteTrack", .timeLimit(.minutes(1)))
struct ByteTrackerTests {
    func detection(
        _ x: Double, _ y: Double, score: Double = 0.9, classID: Int = 0, size: Double = 40
    ) -> ByteTracker.Detection {
        .init(box: Box(x1: x, y1: y, x2: x + size, y2: y + 2 * size), score: score, classID: classID)
    }

    @Test("a moving object keeps one id; ids start at 1")
    func stableID() {
        let tracker = ByteTracker()
        var ids: Set<Int> = []
        for frame in 0..<30 {
            let output = tracker.update(detections: [detection(10 + 4 * Double(frame), 50)], time: Double(frame) / 30)
            #expect(output.count == 1)
            ids.formUnion(output.map(\.trackID))
        }
        #expect(ids == [1])
    }

    @Test("two objects crossing paths keep their ids")
    func crossing() {
        let tracker = ByteTracker()
        var first: Int?, second: Int?
        for frame in 0..<40 {
            let f = Double(frame)
            let output = tracker.update(
                detections: [detection(10 + 6 * f, 100), detection(250 - 6 * f, 104, classID: 2)], time: f / 30)
            // The object moving right is the one whose box x grows.
            let right = output.min { abs($0.box.x1 - (10 + 6 * f)) < abs($1.box.x1 - (10 + 6 * f)) }
            let left = output.min { abs($0.box.x1 - (250 - 6 * f)) < abs($1.box.x1 - (250 - 6 * f)) }
            if frame == 0 { (first, second) = (right?.trackID, left?.trackID) }
            // Both objects are published from their first detection on (confident new objects), with two ids.
            if frame != 20 { #expect(output.count == 2, "frame \(frame): \(output)") }
            if frame > 0 && frame != 20 {
                #expect(right?.trackID == first && left?.trackID == second, "frame \(frame): \(output)")
            }
        }
        #expect(first != nil && second != nil && first != second)
    }

    @Test("a low-score detection keeps a track alive through the second association")
    func lowScoreKeepsTrack() {
        let tracker = ByteTracker()
        _ = tracker.update(detections: [detection(100, 100)], time: 0)
        _ = tracker.update(detections: [detection(102, 100)], time: 1.0 / 30)
        let occluded = tracker.update(detections: [detection(104, 100, score: 0.3)], time: 2.0 / 30)
        #expect(occluded.map(\.trackID) == [1])
        // A low-score detection alone never starts a track.
        let fresh = ByteTracker()
        #expect(fresh.update(detections: [detection(0, 0, score: 0.3)], time: 0).isEmpty)
    }

    @Test(
        "the publish gate hides a static thing that crossed the new-track score once and lives on low scores; real objects and briefly weak ones stay published"
    )
    func publishGate() {
        // At 3 looks per second: a sign scored 0.45 that reaches 0.62 once, a walker at 0.9, and a person whose
        // score dips to 0.35 for two looks (occluded) after a confident start.
        func run(gate: Double) -> (sign: Int, walker: Int, occluded: Int) {
            var parameters = ByteTracker.Parameters()
            parameters.publishMinimumScore = gate
            let tracker = ByteTracker(parameters: parameters)
            var seen = (sign: 0, walker: 0, occluded: 0)
            for look in 0..<30 {
                let t = Double(look) / 3
                let occludedScore = (10..<12).contains(look) ? 0.35 : 0.85
                let output = tracker.update(
                    detections: [
                        detection(40, 300, score: look == 3 ? 0.62 : 0.45, size: 12),
                        detection(100 + 8 * t, 100), detection(400, 100, score: occludedScore),
                    ],
                    time: t)
                seen.sign += output.filter { $0.box.x1 < 60 }.count
                seen.walker += output.filter { $0.box.x1 > 90 && $0.box.x1 < 300 }.count
                seen.occluded += output.filter { $0.box.x1 > 380 }.count
            }
            return seen
        }
        let open = run(gate: 0), gated = run(gate: 0.55)
        #expect(open.sign >= 20, "without the gate the sign is published from its second look on: \(open)")
        #expect(gated.sign == 0, "\(gated)")
        #expect(gated.walker == 30 && gated.occluded == 30, "\(gated)")
        #expect(ByteTracker.Parameters.published.publishMinimumScore == 0)
    }

    @Test("a lost track is re-found with its id within the buffer, and a new id is given after it")
    func lostBuffer() {
        var parameters = ByteTracker.Parameters()
        parameters.lostTrackSeconds = 1
        let tracker = ByteTracker(parameters: parameters)
        for frame in 0..<5 { _ = tracker.update(detections: [detection(100, 100)], time: Double(frame) / 10) }
        _ = tracker.update(detections: [], time: 0.5)  // missed: lost
        #expect(tracker.trackCounts == (0, 1))
        #expect(tracker.update(detections: [detection(100, 100)], time: 1.0).map(\.trackID) == [1])
        _ = tracker.update(detections: [], time: 1.1)
        _ = tracker.update(detections: [], time: 1.2)
        _ = tracker.update(detections: [], time: 2.5)  // more than 1 s and 3 updates lost: removed
        #expect(tracker.trackCounts == (0, 0))
        _ = tracker.update(detections: [detection(100, 100)], time: 2.6)
        #expect(tracker.update(detections: [detection(100, 100)], time: 2.7).map(\.trackID) == [2])
    }

    @Test("at a low detection rate (every 2 s) a missed object is still re-found: the buffer spans at least 3 updates")
    func slowDetectionKeepsIDs() {
        let tracker = ByteTracker()  // 1 s buffer
        for step in 0..<3 {
            _ = tracker.update(detections: [detection(100 + 10 * Double(step), 100)], time: 2 * Double(step))
        }
        _ = tracker.update(detections: [], time: 6)  // missed once (2 s later)
        #expect(tracker.trackCounts == (0, 1))
        #expect(tracker.update(detections: [detection(140, 100)], time: 8).map(\.trackID) == [1])
        for time in [10.0, 12, 14] { _ = tracker.update(detections: [], time: time) }
        #expect(tracker.trackCounts == (0, 0), "gone after 3 missed updates")
    }

    @Test(
        "after the first update, a new track of middling score is confirmed only when matched again; one-off detections are not published"
    )
    func unconfirmed() {
        let tracker = ByteTracker()
        _ = tracker.update(detections: [detection(0, 0)], time: 0)
        let second = tracker.update(detections: [detection(0, 0), detection(300, 300, score: 0.65)], time: 0.1)
        #expect(second.map(\.trackID) == [1], "the new object is unconfirmed")
        let third = tracker.update(detections: [detection(0, 0), detection(300, 300, score: 0.65)], time: 0.2)
        #expect(Set(third.map(\.trackID)) == [1, 2])
        // A one-off middling detection is never published.
        let fourth = tracker.update(
            detections: [detection(0, 0), detection(300, 300), detection(600, 50, score: 0.65)], time: 0.3)
        let fifth = tracker.update(detections: [detection(0, 0), detection(300, 300)], time: 0.4)
        #expect(Set(fourth.map(\.trackID)) == [1, 2] && Set(fifth.map(\.trackID)) == [1, 2])
        // A detection below the new-track threshold never starts a track.
        let weak = ByteTracker()
        #expect(weak.update(detections: [detection(0, 0, score: 0.55)], time: 0).isEmpty)
    }

    @Test("a confident new object is published on its first detection, not a look later; as published it waits")
    func confidentNewObject() {
        let tracker = ByteTracker(), published = ByteTracker(parameters: .published)
        for tracker in [tracker, published] { _ = tracker.update(detections: [detection(0, 0)], time: 0) }
        let arrivals = [detection(0, 0), detection(300, 300, score: 0.8)]
        #expect(Set(tracker.update(detections: arrivals, time: 0.5).map(\.trackID)) == [1, 2])
        #expect(published.update(detections: arrivals, time: 0.5).map(\.trackID) == [1])
    }

    @Test("at 2 looks per second a walker moving twice its width between looks keeps one id; as published it does not")
    func largeDisplacements() {
        // 40 px wide, 80 px tall, walking 80 px/s: 40 px (its own width) between looks 0.5 s apart, no overlap.
        func run(_ tracker: ByteTracker) -> (ids: Set<Int>, published: Int) {
            var ids = Set<Int>(), published = 0
            for look in 0..<12 {
                let output = tracker.update(
                    detections: [detection(20 + 80 * Double(look) * 0.5, 100)], time: Double(look) * 0.5)
                ids.formUnion(output.map(\.trackID))
                published += output.count
            }
            return (ids, published)
        }
        let ours = run(ByteTracker())
        #expect(ours.ids == [1] && ours.published == 12, "\(ours)")
        let reference = run(ByteTracker(parameters: .published))
        #expect(
            reference.ids.count > 1 || reference.published < 12,
            "the published tracker should lose this walker: \(reference)")
    }

    @Test("over short gaps (high look rates) only IoU pairs: a nearby newcomer does not inherit a lost track's id")
    func shortGapsPairByIoUOnly() {
        let tracker = ByteTracker()
        for frame in 0..<5 { _ = tracker.update(detections: [detection(100, 100)], time: Double(frame) / 25) }
        _ = tracker.update(detections: [], time: 0.2)  // missed: lost
        // 0.08 s later someone else appears 30 px away (no overlap with the lost box): a new track.
        let output = tracker.update(detections: [detection(145, 100)], time: 0.28)
        #expect(!output.contains { $0.trackID == 1 }, "\(output)")
    }

    @Test("the class is the vote of the matched detections; confidence their mean score")
    func classVote() throws {
        let tracker = ByteTracker()
        var output: [ByteTracker.Output] = []
        let scores = [0.9, 0.7, 0.8, 0.95, 0.65]
        for (frame, classID) in [2, 2, 7, 2, 7].enumerated() {
            output = tracker.update(
                detections: [detection(50, 50, score: scores[frame], classID: classID)], time: Double(frame) / 30)
        }
        try #require(output.count == 1)
        #expect(output[0].classID == 2)
        let mean = scores.reduce(0, +) / Double(scores.count)
        #expect(abs(output[0].confidence - mean) < 1e-9, "confidence \(output[0].confidence), mean \(mean)")
    }

    @Test("subsampled detection (every 3rd frame) still follows a fast object")
    func timeGaps() {
        let tracker = ByteTracker()
        var ids: Set<Int> = []
        for frame in stride(from: 0, to: 90, by: 3) {
            let output = tracker.update(detections: [detection(10 + 5 * Double(frame), 80)], time: Double(frame) / 30)
            ids.formUnion(output.map(\.trackID))
        }
        #expect(ids == [1])
    }
}
