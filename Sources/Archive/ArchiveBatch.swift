import Kafka
import Messages

/// Offsets are stored per Kafka partition.
public typealias PartitionKey = TopicPartition

/// One batch of messages turned into the rows they change, summed in memory first (one upsert per track, per minute
/// and key), so a transaction writes a few hundred rows for thousands of messages. Pure: the writer fills it inside
/// its transaction, after dropping what the database already holds.
struct ArchiveBatch {
    struct TrackKey: Hashable {
        var stream: String
        var runID: String
        var trackID: Int
    }

    struct TrackUpdate {
        var classID: Int
        var className: String
        var firstSeenMs: Int64
        var lastSeenMs: Int64
        var firstFrameID: Int64
        var lastFrameID: Int64
        var looks: Int64
        var confidenceSum: Double
        var confidenceMax: Double
        var firstCentre: (x: Double, y: Double)
        var lastCentre: (x: Double, y: Double)
    }

    struct EventMinuteKey: Hashable {
        var minuteMs: Int64
        var stream: String
        var kind: String
        var name: String
        var event: String
        var direction: String
        var className: String
    }

    struct StreamMinuteKey: Hashable {
        var minuteMs: Int64
        var stream: String
    }

    struct OccupancyKey: Hashable {
        var minuteMs: Int64
        var stream: String
        var zone: String
        var className: String
    }

    struct EventRow {
        var partition: PartitionKey
        var offset: Int64
        var message: ZoneEventMessage
        var kind: String
        var className: String
    }

    struct ObservationRow {
        var stream: String
        var runID: String
        var frameID: Int64
        var position: Int
        var timestampMs: Int64
        var track: Track
        var className: String
    }

    /// Per stream: the newest capture time and run in the batch (tracks older than both are ended).
    struct StreamProgress {
        var latestMs: Int64
        var latestRunID: String
    }

    var tracks: [TrackKey: TrackUpdate] = [:]
    var events: [EventRow] = []
    var eventMinutes: [EventMinuteKey: Int64] = [:]
    var streamMinutes: [StreamMinuteKey: (frames: Int64, detections: Int64)] = [:]
    var occupancy: [OccupancyKey: (sum: Int64, peak: Int64)] = [:]
    var observations: [ObservationRow] = []
    var streams: [String: StreamProgress] = [:]
    /// Per partition, the offset after the last message of the batch.
    var nextOffsets: [PartitionKey: Int64] = [:]
    var frameCount = 0
    var eventCount = 0

    let keepObservations: Bool

    init(keepObservations: Bool) {
        self.keepObservations = keepObservations
    }

    static func minute(_ timestampMs: Int64) -> Int64 { timestampMs - ((timestampMs % 60_000) + 60_000) % 60_000 }

    static func className(_ name: String?, _ id: Int?) -> String {
        if let name, !name.isEmpty { return name }
        return id.map { "class \($0)" } ?? "unknown"
    }

    mutating func passOver(_ partition: PartitionKey, offset: Int64) {
        nextOffsets[partition] = max(nextOffsets[partition] ?? 0, offset + 1)
    }

    mutating func add(frame result: FrameResult, at partition: PartitionKey, offset: Int64) {
        passOver(partition, offset: offset)
        frameCount += 1
        let runID = result.runID ?? ""
        let time = result.timestampMs
        let minute = Self.minute(time)
        var progress = streams[result.streamID] ?? StreamProgress(latestMs: time, latestRunID: runID)
        progress.latestMs = max(progress.latestMs, time)
        if runID > progress.latestRunID { progress.latestRunID = runID }
        streams[result.streamID] = progress
        let streamKey = StreamMinuteKey(minuteMs: minute, stream: result.streamID)
        var perMinute = streamMinutes[streamKey] ?? (0, 0)
        perMinute.frames += 1
        perMinute.detections += Int64(result.tracks.count)
        streamMinutes[streamKey] = perMinute
        for (position, track) in result.tracks.enumerated() {
            let className = Self.className(track.className, track.classID)
            if keepObservations {
                observations.append(
                    ObservationRow(
                        stream: result.streamID, runID: runID, frameID: result.frameID, position: position,
                        timestampMs: time, track: track, className: className))
            }
            guard track.trackID >= 0 else { continue }  // a detection the tracker has not confirmed: no object yet
            let centre = (x: Double(track.x1 + track.x2) / 2, y: Double(track.y1 + track.y2) / 2)
            let key = TrackKey(stream: result.streamID, runID: runID, trackID: track.trackID)
            let confidence = Double(track.confidence)
            if var update = tracks[key] {
                if time >= update.lastSeenMs {
                    update.lastSeenMs = time
                    update.lastFrameID = result.frameID
                    update.lastCentre = centre
                    update.classID = track.classID
                    update.className = className
                }
                if time < update.firstSeenMs {
                    update.firstSeenMs = time
                    update.firstFrameID = result.frameID
                    update.firstCentre = centre
                }
                update.looks += 1
                update.confidenceSum += confidence
                update.confidenceMax = max(update.confidenceMax, confidence)
                tracks[key] = update
            } else {
                tracks[key] = TrackUpdate(
                    classID: track.classID, className: className, firstSeenMs: time, lastSeenMs: time,
                    firstFrameID: result.frameID, lastFrameID: result.frameID, looks: 1, confidenceSum: confidence,
                    confidenceMax: confidence, firstCentre: centre, lastCentre: centre)
            }
        }
        for zone in result.zones {
            for (className, count) in zone.counts {
                let key = OccupancyKey(minuteMs: minute, stream: result.streamID, zone: zone.name, className: className)
                var value = occupancy[key] ?? (0, 0)
                value.sum += Int64(count)
                value.peak = max(value.peak, Int64(count))
                occupancy[key] = value
            }
        }
    }

    mutating func add(event: ZoneEventMessage, at partition: PartitionKey, offset: Int64) {
        passOver(partition, offset: offset)
        eventCount += 1
        let kind = event.line != nil && event.zone == nil ? "line" : "zone"
        let className = Self.className(event.class_name, event.class_id)
        events.append(EventRow(partition: partition, offset: offset, message: event, kind: kind, className: className))
        let key = EventMinuteKey(
            minuteMs: Self.minute(event.timestamp_ms), stream: event.stream, kind: kind, name: event.name ?? "",
            event: event.event, direction: event.direction ?? "", className: className)
        eventMinutes[key, default: 0] += 1
    }

    var isEmpty: Bool { nextOffsets.isEmpty }
}
