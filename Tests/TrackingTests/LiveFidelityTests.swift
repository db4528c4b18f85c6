import Testing

@testable import Tracking

@Suite("Live fidelity scoring", .timeLimit(.minutes(1)))
struct LiveFidelityTests {
    /// Two objects walking right through a 10-frame clip.
    private let reference: [MOTEntry] = (1...10).flatMap { frame in
        [1, 2].map { id in
            let x = Double(frame * 10 + id * 200)
            return MOTEntry(frame: frame, id: id, box: Box(x1: x, y1: 50, x2: x + 40, y2: 150), confidence: 1)
        }
    }

    private func published(_ stream: String, frameID: Int64, ids: [Int: Int]) -> LiveFidelity.Publication {
        let index = Int(frameID) % 10 + 1
        let tracks = reference.filter { $0.frame == index && ids[$0.id] != nil }.map {
            MOTEntry(frame: 0, id: ids[$0.id]!, box: $0.box, confidence: 0.9)
        }
        return .init(stream: stream, frameID: frameID, tracks: tracks)
    }

    @Test("publishing the reference at some frames scores perfectly; each stream only at its own frames")
    func perfect() {
        let publications =
            stride(from: 0, to: 10, by: 3).map { published("a", frameID: Int64($0), ids: [1: 5, 2: 6]) }
            + [published("b", frameID: 4, ids: [1: 1, 2: 2])]
        let score = LiveFidelity.score(reference: reference, clipFrames: 10, publications: publications)
        #expect(score.overall.mota == 1 && score.overall.idf1 == 1 && score.overall.recall == 1)
        #expect(score.overall.frames == 5 && score.overall.objects == 10)
        #expect(score.perStream["b"]?.objects == 2)
    }

    @Test("a missed object, a false track and a changed id are counted")
    func errors() {
        var publications = [published("a", frameID: 0, ids: [1: 1, 2: 2]), published("a", frameID: 5, ids: [1: 1])]
        publications.append(published("a", frameID: 8, ids: [1: 3, 2: 2]))  // object 1 re-born as track 3
        publications[1].tracks.append(
            MOTEntry(frame: 0, id: 9, box: Box(x1: 0, y1: 400, x2: 20, y2: 440), confidence: 0.5))
        let m = LiveFidelity.score(reference: reference, clipFrames: 10, publications: publications).overall
        #expect(m.objects == 6 && m.misses == 1 && m.falsePositives == 1 && m.switches == 1, "\(m)")
        #expect(abs(m.mota - (1 - 3.0 / 6)) < 1e-12)
    }

    @Test("a loop of the clip shows new objects: keeping an id across the loop boundary costs identity")
    func loops() {
        // Frame 9 of loop 0 and frame 0 of loop 1 (frame id 10): the reference's objects start again.
        let carried = LiveFidelity.score(
            reference: reference, clipFrames: 10,
            publications: [
                published("a", frameID: 9, ids: [1: 1, 2: 2]), published("a", frameID: 10, ids: [1: 1, 2: 2]),
            ])
        #expect(carried.overall.uniqueObjects == 4 && carried.overall.mota == 1, "\(carried.overall)")
        #expect(abs(carried.overall.idf1 - 0.5) < 1e-12, "one track id for two objects: \(carried.overall)")
        let renewed = LiveFidelity.score(
            reference: reference, clipFrames: 10,
            publications: [
                published("a", frameID: 9, ids: [1: 1, 2: 2]), published("a", frameID: 10, ids: [1: 3, 2: 4]),
            ])
        #expect(renewed.overall.switches == 0 && renewed.overall.mota == 1 && renewed.overall.idf1 == 1)
    }
}
