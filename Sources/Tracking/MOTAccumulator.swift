/// Frame-by-frame matching of ground-truth objects to tracker hypotheses, producing the events the CLEAR MOT metrics
/// are counted from (Bernardin and Stiefelhagen, 2008), with the same rules as py-motmetrics 1.4:
/// 1. an object matched in an earlier frame keeps its hypothesis while their distance stays within the threshold;
/// 2. the rest are matched by minimum total distance (most pairs first); a match that contradicts the object's previous
///    match is a switch;
/// 3. unmatched objects are misses, unmatched hypotheses false positives.
public struct MOTAccumulator: Sendable {
    public enum EventType: Sendable, Equatable { case match, switchID, miss, falsePositive }

    public struct Event: Sendable, Equatable {
        public var frame: Int
        public var type: EventType
        public var object: Int?
        public var hypothesis: Int?
        public var distance: Double
    }

    public private(set) var events: [Event] = []
    /// Per frame, the object-hypothesis pairs within the distance threshold (for the identity metrics).
    public private(set) var pairable: [PairKey: Int] = [:]
    public private(set) var objectFrames: [Int: Int] = [:]
    public private(set) var hypothesisFrames: [Int: Int] = [:]
    public private(set) var frames = 0
    private var lastMatch: [Int: Int] = [:]

    public struct PairKey: Hashable, Sendable {
        public var object: Int
        public var hypothesis: Int
    }

    public init() {}

    /// Adds one frame. `distances[i * hypotheses.count + j]` is the distance of object i to hypothesis j, or nan
    /// when they may not be paired.
    public mutating func update(frame: Int, objects: [Int], hypotheses: [Int], distances: [Double]) {
        precondition(distances.count == objects.count * hypotheses.count)
        frames += 1
        for object in Set(objects) { objectFrames[object, default: 0] += 1 }
        for hypothesis in Set(hypotheses) { hypothesisFrames[hypothesis, default: 0] += 1 }
        let columns = hypotheses.count
        for (i, object) in objects.enumerated() {
            for (j, hypothesis) in hypotheses.enumerated() where distances[i * columns + j].isFinite {
                pairable[PairKey(object: object, hypothesis: hypothesis), default: 0] += 1
            }
        }

        var objectDone = [Bool](repeating: false, count: objects.count)
        var hypothesisDone = [Bool](repeating: false, count: columns)
        var remaining = distances
        // 1. Carry established matches forward.
        if !objects.isEmpty && !hypotheses.isEmpty {
            for (i, object) in objects.enumerated() {
                guard let previous = lastMatch[object],
                    let j = hypotheses.indices.first(where: { !hypothesisDone[$0] && hypotheses[$0] == previous }),
                    distances[i * columns + j].isFinite
                else { continue }
                objectDone[i] = true
                hypothesisDone[j] = true
                events.append(
                    Event(
                        frame: frame, type: .match, object: object, hypothesis: previous,
                        distance: distances[i * columns + j]))
            }
            for i in objects.indices {
                for j in 0..<columns where objectDone[i] || hypothesisDone[j] { remaining[i * columns + j] = .nan }
            }
            // 2. Minimum-distance assignment of the rest.
            for (i, j) in LinearAssignment.rectangular(cost: remaining, rows: objects.count, columns: columns) {
                let object = objects[i], hypothesis = hypotheses[j]
                let isSwitch = lastMatch[object].map { $0 != hypothesis } ?? false
                events.append(
                    Event(
                        frame: frame, type: isSwitch ? .switchID : .match, object: object, hypothesis: hypothesis,
                        distance: remaining[i * columns + j]))
                objectDone[i] = true
                hypothesisDone[j] = true
                lastMatch[object] = hypothesis
            }
        }
        // 3. Misses and false positives.
        for (i, object) in objects.enumerated() where !objectDone[i] {
            events.append(Event(frame: frame, type: .miss, object: object, hypothesis: nil, distance: .nan))
        }
        for (j, hypothesis) in hypotheses.enumerated() where !hypothesisDone[j] {
            events.append(
                Event(frame: frame, type: .falsePositive, object: nil, hypothesis: hypothesis, distance: .nan))
        }
    }
}
