/// Scores what live streams published against a full-rate reference of the clip they loop over: each stream is
/// scored only at the frames it published, against the reference's objects at that frame of the clip.
///
/// A looping stream shows the clip again and again, so the same reference object appears once per loop: its id is
/// made unique per loop, and a track id carried across a loop boundary (two objects, one id) lowers IDF1.
public enum LiveFidelity {
    /// One published message: the tracks a stream published for one frame.
    public struct Publication: Sendable {
        public var stream: String
        /// The stream's frame id: `frameID % clipFrames` is the frame of the clip (0-based).
        public var frameID: Int64
        /// The published tracks (their `frame` is ignored).
        public var tracks: [MOTEntry]

        public init(stream: String, frameID: Int64, tracks: [MOTEntry]) {
            self.stream = stream
            self.frameID = frameID
            self.tracks = tracks
        }
    }

    public struct Score: Sendable {
        /// All streams together (sums of the events, as py-motmetrics' OVERALL row).
        public var overall: MOTMetrics
        public var perStream: [String: MOTMetrics]

        /// Identity switches per 100 reference objects seen (an object counts once per stream and loop).
        public var switchesPer100Objects: Double {
            overall.uniqueObjects == 0 ? .nan : 100 * Double(overall.switches) / Double(overall.uniqueObjects)
        }
    }

    /// `reference`: MOTChallenge rows of the clip, frames 1…`clipFrames`.
    public static func score(reference: [MOTEntry], clipFrames: Int, publications: [Publication]) -> Score {
        let referenceByFrame = Dictionary(grouping: reference, by: \.frame)
        // Far above any id a reference file holds, so that ids of different loops never meet.
        let loopStride = 1_000_000
        var perStream: [String: MOTMetrics] = [:]
        for (stream, messages) in Dictionary(grouping: publications, by: \.stream) {
            var truth: [MOTEntry] = [], hypotheses: [MOTEntry] = []
            for message in messages {
                let frame = Int(message.frameID) + 1
                let loop = Int(message.frameID) / clipFrames, index = Int(message.frameID) % clipFrames
                for object in referenceByFrame[index + 1] ?? [] {
                    truth.append(
                        MOTEntry(frame: frame, id: object.id + loop * loopStride, box: object.box, confidence: 1))
                }
                for track in message.tracks {
                    hypotheses.append(
                        MOTEntry(frame: frame, id: track.id, box: track.box, confidence: track.confidence))
                }
            }
            // Frames with neither objects nor tracks still count as scored frames.
            var metrics = MOTMetrics.evaluate(groundTruth: truth, hypotheses: hypotheses)
            metrics.frames = Set(messages.map(\.frameID)).count
            perStream[stream] = metrics
        }
        return Score(overall: MOTMetrics.combined(perStream.values), perStream: perStream)
    }
}

extension MOTMetrics {
    /// Several sequences as one: the events' counts added up (identity measures too, each sequence matched on its
    /// own), as py-motmetrics' `generate_overall` does.
    public static func combined(_ parts: some Sequence<MOTMetrics>) -> MOTMetrics {
        var total = MOTMetrics()
        for part in parts {
            total.frames += part.frames
            total.uniqueObjects += part.uniqueObjects
            total.objects += part.objects
            total.predictions += part.predictions
            total.matches += part.matches
            total.switches += part.switches
            total.falsePositives += part.falsePositives
            total.misses += part.misses
            total.fragmentations += part.fragmentations
            total.mostlyTracked += part.mostlyTracked
            total.partiallyTracked += part.partiallyTracked
            total.mostlyLost += part.mostlyLost
            total.distanceSum += part.distanceSum
            total.idTruePositives += part.idTruePositives
            total.idFalsePositives += part.idFalsePositives
            total.idFalseNegatives += part.idFalseNegatives
        }
        return total
    }
}
