/// ByteTrack (Zhang et al., 2022) for one stream: Kalman-predicted tracks associated with high-score detections
/// first (cost 1 − IoU·score), then with low-score detections (plain IoU: the score is never fused there), then
/// unconfirmed tracks; new tracks only from high enough detections; lost tracks kept for a time, then removed;
/// duplicate tracked/lost pairs resolved in favour of the longer-lived one.
///
/// Extensions, on by default (`Parameters.published` turns them off): low-score detections may also re-find lost
/// tracks and confirm new ones; a confident new object is published on its first detection; and after a gap of a
/// few tenths of a second, tracks and detections that IoU cannot pair (an object that moved further than its own
/// size between looks, the normal case at 1-5 looks per second) are paired by distance from the motion-predicted
/// box. On vtest scored against a full-rate reference at 1.7 looks per second they raise MOTA from 0.34 to 0.88 and
/// IDF1 from 0.35 to 0.70; on the TUD quality test (8-12 looks/s) MOTA and IDF1 by 2-20 points over the published
/// algorithm.
///
/// Time: detection runs at a subsampled rate, so every update carries its time in seconds. The Kalman prediction
/// uses the real gap, in frames of `referenceFPS` (the rate the published noise model was tuned for is the source's
/// own frame rate), and the lost-track buffer is a duration (`lostTrackSeconds`) — but never fewer than
/// `minimumLostUpdates` updates, so that a stream detected less often than the buffer (e.g. every 2 s when 32 streams
/// share 2 cores) still re-finds an object missed once.
///
/// Identity: one tracker and one id counter per stream; ids start at 1 and never repeat. Only confirmed tracks are
/// reported. A track's class is the majority vote over its matched detections (ties: the most recent), its
/// confidence the mean score of its matched detections.
public final class ByteTracker {
    public struct Parameters: Sendable, Equatable {
        /// Detections at or above this score take part in the first association.
        public var highThreshold = 0.5
        /// Detections above this (and below high) take part in the second association only.
        public var lowThreshold = 0.1
        /// An unmatched detection starts a track only at or above this score.
        public var newTrackThreshold = 0.6
        /// Cost limit of the first association (on 1 − IoU·score).
        public var matchThreshold = 0.8
        /// Cost limit (1 − IoU) of the second association.
        public var secondMatchThreshold = 0.5
        /// Cost limit of matching unconfirmed tracks.
        public var unconfirmedMatchThreshold = 0.7
        /// How long a lost track may be re-found with its id.
        public var lostTrackSeconds = 1.0
        /// A lost track is kept for at least this many updates, however long they take.
        public var minimumLostUpdates = 3
        /// The frame rate the Kalman noise model is applied at (prediction gaps are counted in these frames).
        public var referenceFPS = 30.0
        /// The second association (low scores, plain IoU) also covers lost tracks, not only tracked ones, so an
        /// object seen again only with a low score after a miss keeps its id. An extension of the published
        /// tracker (which Roboflow's also makes); it pays off at subsampled detection rates. False = as published.
        public var lowScoresRecoverLost = true
        /// A new (unconfirmed) track left unmatched by the high detections may be confirmed by a low-score
        /// detection (plain IoU, the second association's limit) instead of being dropped. An extension of the
        /// published tracker. False = as published.
        public var lowScoresConfirm = true
        /// A new track from a detection at or above this score is confirmed (published) at once instead of on its
        /// second match: at a few looks per second the second match comes a look interval later, and a walking
        /// person may be gone by then. Above 1: never (as published).
        public var confirmAtOnceScore = 0.7
        /// Tracks and high-score detections that IoU could not pair (an object that moved more than its own width
        /// between looks) are paired by centre distance from the motion-predicted box, within a radius of
        /// `distanceGateBase + distanceGatePerSecond × gap` times the track's height, and heights within
        /// `distanceGateHeightRatio`. 0 turns this off (as published).
        public var distanceGatePerSecond = 1.0
        public var distanceGateBase = 0.3
        public var distanceGateHeightRatio = 1.5
        /// Tracks seen less than this long ago are paired by IoU only: over short gaps the predicted box overlaps
        /// its object, and pairing by distance only adds mistakes in crowds (TUD-Stadtmitte at 8-12 looks/s:
        /// IDF1 3 points lower without this).
        public var distanceGateMinimumGap = 0.25
        /// A confirmed track is published only while the mean score of the detections it matched is at least this.
        /// A static thing the detector scores just under `newTrackThreshold` (a sign taken for a person) can cross
        /// it once and then live on forever on its low scores, which keep it tracked; its mean stays low where a
        /// real object's does not. Such a track is still tracked, only not published. Tuned to YOLO-style scores
        /// (0-1); 0 publishes every confirmed track (as published).
        public var publishMinimumScore = 0.55

        /// The published algorithm, without this tracker's extensions.
        public static var published: Parameters {
            var parameters = Parameters()
            parameters.lowScoresRecoverLost = false
            parameters.lowScoresConfirm = false
            parameters.confirmAtOnceScore = 2
            parameters.distanceGatePerSecond = 0
            parameters.publishMinimumScore = 0
            return parameters
        }

        public init() {}
    }

    public struct Detection: Sendable, Equatable {
        public var box: Box
        public var score: Double
        public var classID: Int

        public init(box: Box, score: Double, classID: Int) {
            self.box = box
            self.score = score
            self.classID = classID
        }
    }

    /// A confirmed track in this update's output.
    public struct Output: Sendable, Equatable {
        public var trackID: Int
        public var box: Box
        public var classID: Int
        public var confidence: Double
    }

    enum State { case tracked, lost, removed }

    final class Track {
        var filter: KalmanFilter
        var id = 0
        var state = State.tracked
        var isActivated = false
        var score: Double
        var startTime = 0.0
        var lastTime = 0.0
        var predictedAt = 0.0
        /// (class, matched detections, last time): a short list, as a track rarely sees more than two classes.
        var classVotes: [(classID: Int, count: Int, last: Double)] = []
        var scoreSum = 0.0
        var matchedCount = 0
        /// Updates since the track was last matched (while lost).
        var missedUpdates = 0

        init(detection: Detection) {
            filter = KalmanFilter(measurement: detection.box.xyah)
            score = detection.score
            vote(detection, at: 0)
        }

        var box: Box { Box(xyah: filter.xyah) }

        var classID: Int {
            classVotes.max { a, b in a.count != b.count ? a.count < b.count : a.last < b.last }?.classID ?? 0
        }

        func vote(_ detection: Detection, at time: Double) {
            if let index = classVotes.firstIndex(where: { $0.classID == detection.classID }) {
                classVotes[index].count += 1
                classVotes[index].last = time
            } else {
                classVotes.append((detection.classID, 1, time))
            }
            scoreSum += detection.score
            matchedCount += 1
        }
    }

    public let parameters: Parameters
    private var tracked: [Track] = []
    private var lost: [Track] = []
    private var nextID = 1
    private var updates = 0

    public init(parameters: Parameters = .init()) {
        self.parameters = parameters
    }

    /// Associates this frame's detections (taken at `time` seconds) and returns the confirmed tracks.
    public func update(detections: [Detection], time: Double) -> [Output] {
        updates += 1
        for track in lost { track.missedUpdates += 1 }  // reset to 0 if this update finds it again
        let p = parameters
        let high = detections.filter { $0.score >= p.highThreshold }
        let low = detections.filter { $0.score > p.lowThreshold && $0.score < p.highThreshold }

        var activated: [Track] = [], refound: [Track] = [], newlyLost: [Track] = [], removed: [Track] = []
        let unconfirmed = tracked.filter { !$0.isActivated }
        let confirmed = tracked.filter { $0.isActivated }

        // 1. High-score detections against tracked and lost tracks, predicted to now.
        let pool = confirmed + lost  // disjoint: a track is in exactly one of the two lists
        for track in pool { predict(track, to: time) }
        var first = associate(pool, high, fuseScore: true, limit: p.matchThreshold)
        // 1b. What IoU left unpaired, by distance from the predicted box (objects that moved further than their size).
        first.merge(associateByDistance(first.unmatchedTracks, of: pool, first.unmatchedDetections, of: high, at: time))
        for (t, d) in first.matches {
            let track = pool[t]
            if track.state == .tracked {
                apply(high[d], to: track, at: time)
                activated.append(track)
            } else {
                apply(high[d], to: track, at: time)
                refound.append(track)
            }
        }

        // 2. Low-score detections against the tracks still unmatched: plain IoU. As published, only tracked ones;
        //    with `lowScoresRecoverLost`, lost ones too.
        let remaining = first.unmatchedTracks.map { pool[$0] }.filter { $0.state == .tracked || p.lowScoresRecoverLost }
        let second = associate(remaining, low, fuseScore: false, limit: p.secondMatchThreshold)
        for (t, d) in second.matches {
            let wasLost = remaining[t].state == .lost
            apply(low[d], to: remaining[t], at: time)
            if wasLost { refound.append(remaining[t]) } else { activated.append(remaining[t]) }
        }
        for index in second.unmatchedTracks where remaining[index].state != .lost {
            remaining[index].state = .lost
            remaining[index].missedUpdates = 1
            newlyLost.append(remaining[index])
        }

        // 3. Unconfirmed tracks (seen once) against the high detections left.
        let leftover = first.unmatchedDetections.map { high[$0] }
        for track in unconfirmed { predict(track, to: time) }
        var third = associate(unconfirmed, leftover, fuseScore: true, limit: p.unconfirmedMatchThreshold)
        third.merge(
            associateByDistance(
                third.unmatchedTracks, of: unconfirmed, third.unmatchedDetections, of: leftover, at: time))
        for (t, d) in third.matches {
            apply(leftover[d], to: unconfirmed[t], at: time)
            activated.append(unconfirmed[t])
        }
        var stillUnconfirmed = third.unmatchedTracks.map { unconfirmed[$0] }
        if p.lowScoresConfirm {
            // 3b. Unconfirmed tracks against the low detections left (plain IoU), rather than dropped at once.
            let lowLeft = second.unmatchedDetections.map { low[$0] }
            let extra = associate(stillUnconfirmed, lowLeft, fuseScore: false, limit: p.secondMatchThreshold)
            for (t, d) in extra.matches {
                apply(lowLeft[d], to: stillUnconfirmed[t], at: time)
                activated.append(stillUnconfirmed[t])
            }
            stillUnconfirmed = extra.unmatchedTracks.map { stillUnconfirmed[$0] }
        }
        for track in stillUnconfirmed {
            track.state = .removed
            removed.append(track)
        }

        // 4. New tracks from confident detections nobody claimed.
        for index in third.unmatchedDetections where leftover[index].score >= p.newTrackThreshold {
            let track = Track(detection: leftover[index])
            track.id = nextID
            nextID += 1
            track.startTime = time
            track.lastTime = time
            track.predictedAt = time
            // On the very first update a track is confirmed at once, as published; later ones when confident.
            track.isActivated = updates == 1 || leftover[index].score >= p.confirmAtOnceScore
            activated.append(track)
        }

        // 5. Lost tracks expire after the buffer.
        for track in lost
        where time - track.lastTime > p.lostTrackSeconds && track.missedUpdates >= p.minimumLostUpdates {
            track.state = .removed
            removed.append(track)
        }

        var nextTracked = tracked.filter { $0.state == .tracked }
        for track in activated + refound where !nextTracked.contains(where: { $0 === track }) {
            nextTracked.append(track)
        }
        var nextLost = lost.filter { track in
            track.state == .lost && !nextTracked.contains { $0 === track } && !removed.contains { $0 === track }
        }
        for track in newlyLost where !nextLost.contains(where: { $0 === track }) { nextLost.append(track) }
        (tracked, lost) = Self.removeDuplicates(nextTracked, nextLost)

        return tracked.compactMap { track in
            let meanScore = track.scoreSum / Double(max(1, track.matchedCount))
            guard track.isActivated, meanScore >= p.publishMinimumScore else { return nil }
            return Output(trackID: track.id, box: track.box, classID: track.classID, confidence: meanScore)
        }
    }

    /// Tracks currently kept (tracked and lost), for tests and metrics.
    public var trackCounts: (tracked: Int, lost: Int) { (tracked.count, lost.count) }

    // MARK: - Steps

    private func predict(_ track: Track, to time: Double) {
        let dt = max(0, time - track.predictedAt) * parameters.referenceFPS
        if dt > 0 {
            if track.state != .tracked { track.filter.zeroHeightVelocity() }
            track.filter.predict(dt: dt)
        }
        track.predictedAt = time
    }

    private func apply(_ detection: Detection, to track: Track, at time: Double) {
        predict(track, to: time)
        track.filter.update(measurement: detection.box.xyah)
        track.state = .tracked
        track.isActivated = true
        track.score = detection.score
        track.lastTime = time
        track.missedUpdates = 0
        track.vote(detection, at: time)
    }

    private struct Association {
        var matches: [(Int, Int)]
        var unmatchedTracks: [Int]
        var unmatchedDetections: [Int]

        /// Adds a second association over this one's unmatched tracks and detections (same indices).
        mutating func merge(_ other: Association) {
            matches += other.matches
            unmatchedTracks = other.unmatchedTracks
            unmatchedDetections = other.unmatchedDetections
        }
    }

    /// Pairs `trackIndices` of `tracks` with `detectionIndices` of `detections` by the distance between centres,
    /// relative to a radius that grows with the time since the track was last seen; only similar heights pair.
    /// Returns indices into the full arrays.
    private func associateByDistance(
        _ trackIndices: [Int], of tracks: [Track], _ detectionIndices: [Int], of detections: [Detection],
        at time: Double
    ) -> Association {
        let p = parameters
        guard p.distanceGatePerSecond > 0, !trackIndices.isEmpty, !detectionIndices.isEmpty else {
            return Association(matches: [], unmatchedTracks: trackIndices, unmatchedDetections: detectionIndices)
        }
        var cost = [Double](repeating: 2, count: trackIndices.count * detectionIndices.count)
        for (row, t) in trackIndices.enumerated() {
            let track = tracks[t], predicted = track.box
            let gap = time - track.lastTime
            guard gap >= p.distanceGateMinimumGap else { continue }
            let height = predicted.height, (cx, cy) = predicted.center
            let radius = height * (p.distanceGateBase + p.distanceGatePerSecond * gap)
            guard radius > 0 else { continue }
            for (column, d) in detectionIndices.enumerated() {
                let box = detections[d].box
                let ratio = box.height / height
                guard ratio <= p.distanceGateHeightRatio && ratio >= 1 / p.distanceGateHeightRatio else { continue }
                let (dx, dy) = (box.center.x - cx, box.center.y - cy)
                cost[row * detectionIndices.count + column] = (dx * dx + dy * dy).squareRoot() / radius
            }
        }
        let solution = LinearAssignment.solve(
            cost: cost, rows: trackIndices.count, columns: detectionIndices.count, limit: 1)
        return Association(
            matches: solution.matches.map { (trackIndices[$0.row], detectionIndices[$0.column]) },
            unmatchedTracks: solution.unmatchedRows.map { trackIndices[$0] },
            unmatchedDetections: solution.unmatchedColumns.map { detectionIndices[$0] })
    }

    private func associate(_ tracks: [Track], _ detections: [Detection], fuseScore: Bool, limit: Double) -> Association
    {
        var cost = [Double](repeating: 1, count: tracks.count * detections.count)
        for (t, track) in tracks.enumerated() {
            let box = track.box
            for (d, detection) in detections.enumerated() {
                let iou = box.iou(detection.box)
                cost[t * detections.count + d] = 1 - (fuseScore ? iou * detection.score : iou)
            }
        }
        let solution = LinearAssignment.solve(cost: cost, rows: tracks.count, columns: detections.count, limit: limit)
        return Association(
            matches: solution.matches.map { ($0.row, $0.column) }, unmatchedTracks: solution.unmatchedRows,
            unmatchedDetections: solution.unmatchedColumns)
    }

    /// A tracked and a lost track overlapping almost entirely (IoU > 0.85) are the same object: keep the one
    /// tracked for longer.
    static func removeDuplicates(_ tracked: [Track], _ lost: [Track]) -> ([Track], [Track]) {
        guard !lost.isEmpty, !tracked.isEmpty else { return (tracked, lost) }
        var dropTracked = Set<ObjectIdentifier>(), dropLost = Set<ObjectIdentifier>()
        let lostBoxes = lost.map(\.box)
        for a in tracked {
            let box = a.box
            for (index, b) in lost.enumerated() where box.iou(lostBoxes[index]) > 0.85 {
                let ageA = a.lastTime - a.startTime, ageB = b.lastTime - b.startTime
                if ageA > ageB { dropLost.insert(ObjectIdentifier(b)) } else { dropTracked.insert(ObjectIdentifier(a)) }
            }
        }
        guard !dropTracked.isEmpty || !dropLost.isEmpty else { return (tracked, lost) }
        return (
            tracked.filter { !dropTracked.contains(ObjectIdentifier($0)) },
            lost.filter { !dropLost.contains(ObjectIdentifier($0)) }
        )
    }
}
