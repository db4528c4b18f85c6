import Foundation
import TestSupport
import Testing

@testable import Tracking

@Suite("MOT metrics", .serialized, .timeLimit(.minutes(3)))
struct MOTMetricsTests {
    /// py-motmetrics' own figures for a sequence, computed now by scripts/motmetrics-reference.py.
    private func reference(gt: String, test: String) throws -> [String: Double] {
        let result = try ChildProcess.run(
            "/usr/bin/env", ["python3", TestEnvironment.script("motmetrics-reference.py"), gt, test], timeout: 120)
        #expect(result.status == 0, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Double])
    }

    @Test("MOTChallenge files: a missing file, a word where a number belongs and a short row are one-line errors")
    func readErrors() throws {
        let folder = try TestEnvironment.makeTemporaryDirectory("mot-read")
        defer { try? FileManager.default.removeItem(at: folder) }
        let cases = [
            ("1,1,10,10,5,5,1\n\n2,abc,10,10,5,5,1\n", ":3: field 2 is 'abc', not a number"),
            ("1,1,10,10,5\n", ":1: 5 fields; expected frame, id, x, y, w, h"),
            ("1,1,10,10,5,nan\n", ":1: field 6 is 'nan', not a number"),
        ]
        for (index, (text, expected)) in cases.enumerated() {
            let path = folder.appendingPathComponent("case-\(index).txt").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            #expect {
                _ = try MOTChallenge.read(path: path)
            } throws: { error in
                "\(error)".hasPrefix(path + expected)
            }
        }
        let missing = folder.appendingPathComponent("absent.txt").path
        #expect {
            _ = try MOTChallenge.read(path: missing)
        } throws: { error in
            "\(error)" == "\(missing) does not exist"
        }
    }

    @Test(
        "CLEAR and identity metrics agree with py-motmetrics 1.4.0 to 1e-6 on TUD-Campus and TUD-Stadtmitte",
        arguments: ["TUD-Campus", "TUD-Stadtmitte"])
    func agreesWithMotmetrics(sequence: String) throws {
        let folder = try ChildProcess.run(
            "/usr/bin/env", ["python3", TestEnvironment.script("motmetrics-reference.py"), "--data-dir"], timeout: 60)
        let data = folder.stdout.trimmingCharacters(in: .whitespacesAndNewlines) + "/" + sequence
        let gt = data + "/gt.txt", test = data + "/test.txt"
        let expected = try reference(gt: gt, test: test)
        let ours = MOTMetrics.evaluate(
            groundTruth: try MOTChallenge.read(path: gt), hypotheses: try MOTChallenge.read(path: test))
        let actual: [String: Double] = [
            "num_frames": Double(ours.frames), "num_unique_objects": Double(ours.uniqueObjects),
            "num_objects": Double(ours.objects), "num_predictions": Double(ours.predictions),
            "num_matches": Double(ours.matches), "num_switches": Double(ours.switches),
            "num_false_positives": Double(ours.falsePositives), "num_misses": Double(ours.misses),
            "num_fragmentations": Double(ours.fragmentations), "mostly_tracked": Double(ours.mostlyTracked),
            "partially_tracked": Double(ours.partiallyTracked), "mostly_lost": Double(ours.mostlyLost),
            "mota": ours.mota, "motp": ours.motp, "recall": ours.recall, "precision": ours.precision,
            "idf1": ours.idf1, "idp": ours.idp, "idr": ours.idr, "idtp": ours.idTruePositives,
            "idfp": ours.idFalsePositives, "idfn": ours.idFalseNegatives,
        ]
        #expect(Set(actual.keys) == Set(expected.keys))
        for (name, value) in expected {
            #expect(
                abs((actual[name] ?? .nan) - value) <= 1e-6,
                "\(sequence) \(name): ours \(actual[name] ?? .nan), py-motmetrics \(value)")
        }
    }

    @Test("a perfect tracker scores MOTA 1 and IDF1 1; swapping ids mid-way costs switches and identity")
    func synthetic() {
        let truth = (1...10).flatMap { frame in
            [
                MOTEntry(frame: frame, id: 1, box: Box(x1: 0, y1: 0, x2: 10, y2: 20), confidence: 1),
                MOTEntry(frame: frame, id: 2, box: Box(x1: 50, y1: 0, x2: 60, y2: 20), confidence: 1),
            ]
        }
        let perfect = MOTMetrics.evaluate(groundTruth: truth, hypotheses: truth)
        #expect(perfect.mota == 1 && perfect.idf1 == 1 && perfect.motp == 0 && perfect.switches == 0)
        let swapped = truth.map { entry in
            var copy = entry
            if entry.frame > 5 { copy.id = 3 - entry.id }
            return copy
        }
        let scored = MOTMetrics.evaluate(groundTruth: truth, hypotheses: swapped)
        #expect(scored.switches == 2 && scored.idf1 == 0.5 && abs(scored.mota - 0.9) < 1e-12)
    }
}
