/// CLEAR MOT and identity metrics of one sequence, defined as in py-motmetrics 1.4.
public struct MOTMetrics: Sendable, Equatable {
    public var frames = 0
    public var uniqueObjects = 0
    /// Ground-truth entries (matches + switches + misses).
    public var objects = 0
    /// Hypothesis entries (matches + switches + false positives).
    public var predictions = 0
    public var matches = 0
    public var switches = 0
    public var falsePositives = 0
    public var misses = 0
    public var fragmentations = 0
    public var mostlyTracked = 0
    public var partiallyTracked = 0
    public var mostlyLost = 0
    /// Sum of the distances (1 − IoU) of matches and switches.
    public var distanceSum = 0.0
    public var idTruePositives = 0.0
    public var idFalsePositives = 0.0
    public var idFalseNegatives = 0.0

    public var detections: Int { matches + switches }
    public var mota: Double { objects == 0 ? .nan : 1 - Double(misses + switches + falsePositives) / Double(objects) }
    /// Mean distance (1 − IoU) of matched pairs: lower is better, as py-motmetrics reports it.
    public var motp: Double { detections == 0 ? .nan : distanceSum / Double(detections) }
    public var recall: Double { objects == 0 ? .nan : Double(detections) / Double(objects) }
    public var precision: Double { Double(detections) / Double(max(1, falsePositives + detections)) }
    public var idf1: Double { 2 * idTruePositives / Double(objects + predictions) }
    public var idp: Double { idTruePositives / (idTruePositives + idFalsePositives) }
    public var idr: Double { idTruePositives / (idTruePositives + idFalseNegatives) }

    /// Scores `hypotheses` against `groundTruth` (MOTChallenge entries), pairing boxes with IoU ≥ 1 − `maximumDistance`.
    public static func evaluate(
        groundTruth: [MOTEntry], hypotheses: [MOTEntry], maximumDistance: Double = 0.5
    )
        -> MOTMetrics
    {
        var accumulator = MOTAccumulator()
        let truthByFrame = Dictionary(grouping: groundTruth, by: \.frame)
        let hypothesesByFrame = Dictionary(grouping: hypotheses, by: \.frame)
        for frame in Set(truthByFrame.keys).union(hypothesesByFrame.keys).sorted() {
            let objects = truthByFrame[frame] ?? [], tracks = hypothesesByFrame[frame] ?? []
            var distances = [Double](repeating: .nan, count: objects.count * tracks.count)
            for (i, object) in objects.enumerated() {
                for (j, track) in tracks.enumerated() {
                    let distance = 1 - object.box.iou(track.box)
                    if distance <= maximumDistance { distances[i * tracks.count + j] = distance }
                }
            }
            accumulator.update(
                frame: frame, objects: objects.map(\.id), hypotheses: tracks.map(\.id), distances: distances)
        }
        return summarize(accumulator)
    }

    public static func summarize(_ accumulator: MOTAccumulator) -> MOTMetrics {
        var metrics = MOTMetrics()
        metrics.frames = accumulator.frames
        var perObject: [Int: [Bool]] = [:]  // per object, in event order: missed?
        for event in accumulator.events {
            switch event.type {
            case .match: metrics.matches += 1
            case .switchID: metrics.switches += 1
            case .miss: metrics.misses += 1
            case .falsePositive: metrics.falsePositives += 1
            }
            if event.type == .match || event.type == .switchID { metrics.distanceSum += event.distance }
            if let object = event.object { perObject[object, default: []].append(event.type == .miss) }
        }
        metrics.objects = metrics.matches + metrics.switches + metrics.misses
        metrics.predictions = metrics.matches + metrics.switches + metrics.falsePositives
        metrics.uniqueObjects = perObject.count
        for (_, missed) in perObject {
            let ratio = Double(missed.filter { !$0 }.count) / Double(missed.count)
            if ratio >= 0.8 {
                metrics.mostlyTracked += 1
            } else if ratio >= 0.2 {
                metrics.partiallyTracked += 1
            } else {
                metrics.mostlyLost += 1
            }
            // Fragmentations: tracked → missed transitions between the first and last time it was tracked.
            guard let first = missed.firstIndex(of: false), let last = missed.lastIndex(of: false) else { continue }
            for index in (first + 1)..<(last + 1) where missed[index] && !missed[index - 1] {
                metrics.fragmentations += 1
            }
        }
        let identity = identityMeasures(accumulator)
        metrics.idFalsePositives = identity.falsePositives
        metrics.idFalseNegatives = identity.falseNegatives
        metrics.idTruePositives = Double(metrics.objects) - identity.falseNegatives
        return metrics
    }

    /// IDF1's global one-to-one matching of object ids to hypothesis ids that maximises the frames they share within
    /// the threshold (Ristani et al., 2016), solved as py-motmetrics does on the extended (objects + hypotheses) matrix.
    static func identityMeasures(_ accumulator: MOTAccumulator) -> (falsePositives: Double, falseNegatives: Double) {
        let objects = accumulator.objectFrames.keys.sorted(), hypotheses = accumulator.hypothesisFrames.keys.sorted()
        let no = objects.count, nh = hypotheses.count, size = no + nh
        guard size > 0 else { return (0, 0) }
        var fp = [Double](repeating: 0, count: size * size), fn = [Double](repeating: 0, count: size * size)
        for r in no..<size { for c in 0..<nh { fp[r * size + c] = .nan } }
        for r in 0..<no { for c in nh..<size { fn[r * size + c] = .nan } }
        for (r, object) in objects.enumerated() {
            let count = Double(accumulator.objectFrames[object]!)
            for c in 0..<nh { fn[r * size + c] = count }
            fn[r * size + nh + r] = count
        }
        for (c, hypothesis) in hypotheses.enumerated() {
            let count = Double(accumulator.hypothesisFrames[hypothesis]!)
            for r in 0..<no { fp[r * size + c] = count }
            fp[(c + no) * size + c] = count
        }
        let objectIndex = Dictionary(uniqueKeysWithValues: objects.enumerated().map { ($1, $0) })
        let hypothesisIndex = Dictionary(uniqueKeysWithValues: hypotheses.enumerated().map { ($1, $0) })
        for (pair, shared) in accumulator.pairable {
            guard let r = objectIndex[pair.object], let c = hypothesisIndex[pair.hypothesis] else { continue }
            fp[r * size + c] -= Double(shared)
            fn[r * size + c] -= Double(shared)
        }
        let cost = zip(fp, fn).map { $0 + $1 }
        var falsePositives = 0.0, falseNegatives = 0.0
        for (r, c) in LinearAssignment.rectangular(cost: cost, rows: size, columns: size) {
            falsePositives += fp[r * size + c]
            falseNegatives += fn[r * size + c]
        }
        return (falsePositives, falseNegatives)
    }
}
