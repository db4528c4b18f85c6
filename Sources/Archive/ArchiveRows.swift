import ArchiveStore

/// The statements that apply an `ArchiveBatch`: upserts that add to what is stored (so a batch boundary anywhere
/// gives the same rows), in text both databases run.
enum ArchiveRows {
    static let upsertTrack = """
        INSERT INTO tracks (stream, run_id, track_id, class_id, class_name, first_seen_ms, last_seen_ms,
            first_frame_id, last_frame_id, looks, confidence_sum, confidence_max, first_x, first_y, last_x, last_y, ended)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 0)
        ON CONFLICT (stream, run_id, track_id) DO UPDATE SET
            class_id = CASE WHEN excluded.last_seen_ms >= tracks.last_seen_ms THEN excluded.class_id ELSE tracks.class_id END,
            class_name = CASE WHEN excluded.last_seen_ms >= tracks.last_seen_ms THEN excluded.class_name ELSE tracks.class_name END,
            first_seen_ms = CASE WHEN excluded.first_seen_ms < tracks.first_seen_ms THEN excluded.first_seen_ms ELSE tracks.first_seen_ms END,
            first_frame_id = CASE WHEN excluded.first_seen_ms < tracks.first_seen_ms THEN excluded.first_frame_id ELSE tracks.first_frame_id END,
            first_x = CASE WHEN excluded.first_seen_ms < tracks.first_seen_ms THEN excluded.first_x ELSE tracks.first_x END,
            first_y = CASE WHEN excluded.first_seen_ms < tracks.first_seen_ms THEN excluded.first_y ELSE tracks.first_y END,
            last_seen_ms = CASE WHEN excluded.last_seen_ms >= tracks.last_seen_ms THEN excluded.last_seen_ms ELSE tracks.last_seen_ms END,
            last_frame_id = CASE WHEN excluded.last_seen_ms >= tracks.last_seen_ms THEN excluded.last_frame_id ELSE tracks.last_frame_id END,
            last_x = CASE WHEN excluded.last_seen_ms >= tracks.last_seen_ms THEN excluded.last_x ELSE tracks.last_x END,
            last_y = CASE WHEN excluded.last_seen_ms >= tracks.last_seen_ms THEN excluded.last_y ELSE tracks.last_y END,
            looks = tracks.looks + excluded.looks,
            confidence_sum = tracks.confidence_sum + excluded.confidence_sum,
            confidence_max = CASE WHEN excluded.confidence_max > tracks.confidence_max THEN excluded.confidence_max ELSE tracks.confidence_max END,
            ended = 0
        """

    /// A track ends when its stream's newest frame is `track_end_s` past its last look, or its stream has a newer run.
    static let endTracks = """
        UPDATE tracks SET ended = 1
        WHERE stream = $1 AND ended = 0 AND (last_seen_ms < $2 OR run_id < $3)
        """

    static let insertEvent = """
        INSERT INTO events (topic, kafka_partition, kafka_offset, stream, run_id, event, kind, name, track_id, class_id,
            class_name, direction, duration_s, frame_id, timestamp_ms)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
        """

    static let upsertEventMinute = """
        INSERT INTO event_minutes (minute_ms, stream, kind, name, event, direction, class_name, event_count)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (minute_ms, stream, kind, name, event, direction, class_name) DO UPDATE SET
            event_count = event_minutes.event_count + excluded.event_count
        """

    static let upsertStreamMinute = """
        INSERT INTO stream_minutes (minute_ms, stream, frames, detections) VALUES ($1, $2, $3, $4)
        ON CONFLICT (minute_ms, stream) DO UPDATE SET
            frames = stream_minutes.frames + excluded.frames,
            detections = stream_minutes.detections + excluded.detections
        """

    static let upsertOccupancy = """
        INSERT INTO occupancy_minutes (minute_ms, stream, zone, class_name, occupancy_sum, occupancy_peak)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (minute_ms, stream, zone, class_name) DO UPDATE SET
            occupancy_sum = occupancy_minutes.occupancy_sum + excluded.occupancy_sum,
            occupancy_peak = CASE WHEN excluded.occupancy_peak > occupancy_minutes.occupancy_peak
                THEN excluded.occupancy_peak ELSE occupancy_minutes.occupancy_peak END
        """

    static let insertObservation = """
        INSERT INTO observations (stream, run_id, frame_id, position, timestamp_ms, track_id, class_id, class_name,
            confidence, x1, y1, x2, y2)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
        """

    static let upsertOffset = """
        INSERT INTO archive_offsets (topic, kafka_partition, next_offset, updated_ms) VALUES ($1, $2, $3, $4)
        ON CONFLICT (topic, kafka_partition) DO UPDATE SET
            next_offset = excluded.next_offset, updated_ms = excluded.updated_ms
        """

    /// Applies `batch`; returns the rows written per table.
    static func write(
        _ batch: ArchiveBatch, trackEndMs: Int64, _ connection: any SQLConnection
    ) throws(DatabaseError) -> [String: Int] {
        var rows: [String: Int] = [:]
        for (key, track) in batch.tracks {
            try connection.execute(
                upsertTrack,
                [
                    .text(key.stream), .text(key.runID), .integer(Int64(key.trackID)), .integer(Int64(track.classID)),
                    .text(track.className), .integer(track.firstSeenMs), .integer(track.lastSeenMs),
                    .integer(track.firstFrameID), .integer(track.lastFrameID), .integer(track.looks),
                    .real(track.confidenceSum), .real(track.confidenceMax), .real(track.firstCentre.x),
                    .real(track.firstCentre.y), .real(track.lastCentre.x), .real(track.lastCentre.y),
                ])
        }
        rows["tracks"] = batch.tracks.count
        var ended = 0
        for (stream, progress) in batch.streams {
            ended += try connection.execute(
                endTracks, [.text(stream), .integer(progress.latestMs - trackEndMs), .text(progress.latestRunID)])
        }
        rows["tracks_ended"] = ended
        for row in batch.events {
            let event = row.message
            try connection.execute(
                insertEvent,
                [
                    .text(row.partition.topic), .integer(Int64(row.partition.partition)), .integer(row.offset),
                    .text(event.stream), .text(event.run_id ?? ""), .text(event.event), .text(row.kind),
                    .text(event.name ?? ""), .integer(Int64(event.track_id)),
                    event.class_id.map { .integer(Int64($0)) } ?? .null, .text(row.className),
                    event.direction.map(SQLValue.text) ?? .null, event.duration_s.map(SQLValue.real) ?? .null,
                    .integer(event.frame_id), .integer(event.timestamp_ms),
                ])
        }
        rows["events"] = batch.events.count
        for (key, count) in batch.eventMinutes {
            try connection.execute(
                upsertEventMinute,
                [
                    .integer(key.minuteMs), .text(key.stream), .text(key.kind), .text(key.name), .text(key.event),
                    .text(key.direction), .text(key.className), .integer(count),
                ])
        }
        rows["event_minutes"] = batch.eventMinutes.count
        for (key, value) in batch.streamMinutes {
            try connection.execute(
                upsertStreamMinute,
                [.integer(key.minuteMs), .text(key.stream), .integer(value.frames), .integer(value.detections)])
        }
        rows["stream_minutes"] = batch.streamMinutes.count
        for (key, value) in batch.occupancy {
            try connection.execute(
                upsertOccupancy,
                [
                    .integer(key.minuteMs), .text(key.stream), .text(key.zone), .text(key.className),
                    .integer(value.sum), .integer(value.peak),
                ])
        }
        rows["occupancy_minutes"] = batch.occupancy.count
        for row in batch.observations {
            try connection.execute(
                insertObservation,
                [
                    .text(row.stream), .text(row.runID), .integer(row.frameID), .integer(Int64(row.position)),
                    .integer(row.timestampMs), .integer(Int64(row.track.trackID)), .integer(Int64(row.track.classID)),
                    .text(row.className), .real(Double(row.track.confidence)), .real(Double(row.track.x1)),
                    .real(Double(row.track.y1)), .real(Double(row.track.x2)), .real(Double(row.track.y2)),
                ])
        }
        rows["observations"] = batch.observations.count
        return rows
    }

    static func storeOffsets(
        _ offsets: [PartitionKey: Int64], nowMs: Int64, _ connection: any SQLConnection
    ) throws(DatabaseError) {
        for (partition, offset) in offsets {
            try connection.execute(
                upsertOffset,
                [.text(partition.topic), .integer(Int64(partition.partition)), .integer(offset), .integer(nowMs)])
        }
    }
}
