import Testing
import Tracking

@testable import Zones

/// A 100x100 frame, so pixels and hundredths of the normalised coordinates are the same numbers.
private func person(_ id: Int, footAt x: Double, _ y: Double, className: String = "person") -> ZoneObservation {
    ZoneObservation(
        trackID: id, classID: className == "person" ? 0 : 2, className: className,
        box: Box(x1: x - 3, y1: y - 20, x2: x + 3, y2: y))
}

/// A vertical line down the middle of the picture (drawn top to bottom) and a zone on the right half.
private func counter(dwell: Double? = nil, classes: [String] = []) -> ZoneCounter {
    ZoneCounter(
        zones: [
            ZoneDefinition(
                name: "right",
                polygon: [.init(x: 0.5, y: 0), .init(x: 1, y: 0), .init(x: 1, y: 1), .init(x: 0.5, y: 1)],
                classes: classes, dwellSeconds: dwell)
        ],
        lines: [LineDefinition(name: "gate", from: .init(x: 0.5, y: 0.1), to: .init(x: 0.5, y: 0.9), classes: classes)],
        hysteresis: 0.01, forgetAfterSeconds: 2)
}

private func run(_ counter: ZoneCounter, _ steps: [(time: Double, tracks: [ZoneObservation])]) -> [ZoneEvent] {
    steps.flatMap { counter.update($0.tracks, width: 100, height: 100, time: $0.time) }
}

@Suite("Zone counter", .timeLimit(.minutes(1)))
struct ZoneCounterTests {
    @Test("crossings in both directions, each once, with their direction and class; counts per direction")
    func bothDirections() {
        let zones = counter()
        let events = run(
            zones,
            [
                (0, [person(1, footAt: 30, 50), person(2, footAt: 80, 50)]),
                (0.4, [person(1, footAt: 45, 50), person(2, footAt: 65, 50)]),
                (0.8, [person(1, footAt: 60, 50), person(2, footAt: 40, 50)]),
                (1.2, [person(1, footAt: 75, 50), person(2, footAt: 20, 50)]),
            ])
        let crossings = events.filter { $0.kind == .lineCross }
        // Track 1 walks from the picture's left to its right: for someone walking the line downwards that is from
        // their right-hand side to their left-hand side.
        #expect(crossings.map(\.trackID) == [1, 2])
        #expect(crossings.map(\.direction) == [.rightToLeft, .leftToRight])
        #expect(zones.lineCounts[0] == [.rightToLeft: ["person": 1], .leftToRight: ["person": 1]])
        #expect(events.filter { $0.kind == .zoneEnter }.map(\.trackID) == [2, 1])
        #expect(events.filter { $0.kind == .zoneExit }.map(\.trackID) == [2])
    }

    @Test("a fast mover seen once on each side, 3 s apart, crosses once; walking around the line's end does not count")
    func slowLooksAndTheLinesEnd() {
        let zones = counter()
        let events = run(
            zones,
            [
                (0, [person(1, footAt: 10, 50)]),
                (1.5, [person(1, footAt: 90, 52)]),  // both sides of the line between two looks
                (3.0, [person(1, footAt: 90, 52), person(2, footAt: 40, 96)]),
                (3.5, [person(2, footAt: 60, 96)]),  // below the line's lower end (y 0.9): no crossing
            ])
        #expect(events.filter { $0.kind == .lineCross }.map(\.trackID) == [1])
        #expect(zones.lineCounts[0].values.flatMap(\.values).reduce(0, +) == 1)
    }

    @Test("jitter on the line does not count twice; a real crossing after it does")
    func jitter() {
        let zones = counter()
        var steps: [(Double, [ZoneObservation])] = [(0, [person(1, footAt: 40, 50)])]
        // Standing on the line: the foot point wanders ±0.8 px around x = 50 for 5 s.
        for step in 1...50 {
            steps.append((Double(step) * 0.1, [person(1, footAt: 50 + (step % 2 == 0 ? 0.8 : -0.8), 50)]))
        }
        steps.append((5.2, [person(1, footAt: 62, 50)]))
        steps.append((5.4, [person(1, footAt: 49.5, 50)]))  // back onto the line, within the hysteresis
        steps.append((5.6, [person(1, footAt: 58, 50)]))
        let events = run(zones, steps)
        #expect(events.filter { $0.kind == .lineCross }.count == 1)
        // The zone's left edge is the same x = 50: jitter there neither enters nor leaves it repeatedly.
        #expect(events.filter { $0.kind == .zoneEnter }.count == 1)
        #expect(events.filter { $0.kind == .zoneExit }.isEmpty)
    }

    @Test("a track lost inside a zone ends its visit after the lost buffer, with the time it was last seen")
    func lostInside() {
        let zones = counter()
        let events = run(
            zones,
            [
                (0, [person(1, footAt: 70, 50), person(2, footAt: 20, 50)]),
                (1, [person(1, footAt: 72, 50), person(2, footAt: 20, 50)]),
                (2, [person(2, footAt: 20, 50)]),  // 1 is no longer published
                (2.9, [person(2, footAt: 20, 50)]),
            ])
        #expect(events.filter { $0.kind == .zoneExit }.isEmpty, "still within the lost buffer at 2.9 s")
        #expect(zones.occupancy == [["person": 1]])
        let later = zones.update([person(2, footAt: 20, 50)], width: 100, height: 100, time: 3.1)
        #expect(later.map(\.kind) == [.zoneExit])
        #expect(later.first?.trackID == 1 && later.first?.durationSeconds == 1)
        #expect(zones.occupancy == [[:]])
    }

    @Test("dwell: one event per visit once the track has stayed dwell_s, none for a shorter stay")
    func dwell() {
        let zones = counter(dwell: 3)
        var steps: [(Double, [ZoneObservation])] = []
        for step in 0...20 {
            steps.append((Double(step) * 0.25, [person(1, footAt: 70, 50), person(2, footAt: 60, 60)]))
        }
        steps[8].1.removeLast()  // 2 walks off at 2 s ...
        for step in 8...20 { steps[step].1 = [person(1, footAt: 70, 50), person(2, footAt: 20, 60)] }
        let events = run(zones, steps)
        let dwells = events.filter { $0.kind == .dwell }
        #expect(dwells.map(\.trackID) == [1])
        #expect(dwells.first?.durationSeconds == 3)
        let exit = events.first { $0.kind == .zoneExit }
        #expect(exit?.trackID == 2 && exit?.durationSeconds == 2)
    }

    @Test("classes: a zone and line for people ignore a car on the same path")
    func classes() {
        let zones = counter(classes: ["person"])
        let events = run(
            zones,
            [(0, [person(9, footAt: 30, 50, className: "car")]), (1, [person(9, footAt: 70, 50, className: "car")])])
        #expect(events.isEmpty)
        #expect(zones.lineCounts[0].isEmpty)
    }

    @Test("polygon checks: too few corners, no area, crossing edges; a simple polygon passes")
    func polygons() {
        let square: [NormalizedPoint] = [.init(x: 0, y: 0), .init(x: 1, y: 0), .init(x: 1, y: 1), .init(x: 0, y: 1)]
        #expect(ZoneGeometry.problem(with: square) == nil)
        #expect(ZoneGeometry.problem(with: Array(square.prefix(2)))?.contains("at least 3") == true)
        #expect(
            ZoneGeometry.problem(with: [.init(x: 0, y: 0), .init(x: 0.5, y: 0.5), .init(x: 1, y: 1)])?.contains(
                "no area")
                == true)
        let bowTie: [NormalizedPoint] = [.init(x: 0, y: 0), .init(x: 1, y: 1), .init(x: 1, y: 0), .init(x: 0, y: 1)]
        #expect(ZoneGeometry.problem(with: bowTie)?.contains("cross") == true)
        #expect(
            ZoneGeometry.contains(square, .init(x: 0.5, y: 0.5))
                && !ZoneGeometry.contains(square, .init(x: 1.5, y: 0.5)))
    }
}
