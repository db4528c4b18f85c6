import AnalyticsCore
import Archive
import ArchiveStore
import Foundation
import Kafka
import Messages
import TestSupport
import Tracking
import Zones

/// One PostgreSQL server for the suite's tests (the one `make test` started, or a private one).
let sharedPostgres = Result { try PostgresServer() }

/// A fresh empty archive of `kind`: a SQLite file in `directory`, or a new PostgreSQL database.
func makeArchive(_ kind: DatabaseKind, in directory: URL, label: String) throws -> ArchiveLocation {
    switch kind {
    case .sqlite:
        return .sqlite(path: directory.appendingPathComponent("\(label).sqlite").path)
    case .postgres:
        return .postgres(url: try sharedPostgres.get().makeDatabase(label))
    }
}

/// Messages as the pipeline writes them, through the real encoder: `frames` frames of three streams, one every 400 ms
/// of capture time from `startMs` (three minutes and more), each with two or three tracks and its zone's occupancy,
/// and a line crossing every fifth frame on the events topic.
enum SampleMessages {
    static let framesTopic = "frames"
    static let eventsTopic = "events"

    static func make(frames: Int, startMs: Int64 = 1_765_000_000_000, malformedAt: Set<Int> = []) -> [KafkaMessage] {
        var encoder = FrameMessageEncoder()
        var messages: [KafkaMessage] = []
        var frameOffsets: [Int32: Int64] = [:]
        var eventOffsets: [Int32: Int64] = [:]
        for index in 0..<frames {
            let stream = index % 3
            let partition = Int32(stream % 2)
            let time = startMs + Int64(index) * 400
            // Stream 2 restarts halfway: a new run, its track ids from 1 again.
            let run =
                stream == 2 && index > frames / 2 ? "20261207T090000.000Z-bbbbbbbb" : "20261207T080000.000Z-aaaaaaaa"
            var result = FrameResult(
                streamID: "cam-\(stream)", frameID: Int64(index / 3), runID: run, timestampMs: time, width: 640,
                height: 480, tracks: [])
            let tracks = 2 + index % 2
            for slot in 0..<tracks {
                let id = (index / 30) * 3 + slot + 1
                result.tracks.append(
                    Track(
                        trackID: slot == 2 ? -1 : id, classID: slot == 1 ? 2 : 0,
                        className: slot == 1 ? "car" : "person", confidence: 0.5 + Float(slot) / 10,
                        x1: Float(10 * slot), y1: 20, x2: Float(10 * slot + 40), y2: 120))
            }
            result.zones = [("path", ["person": index % 4, "car": index % 2])]
            let value: [UInt8] =
                malformedAt.contains(index) ? Array(#"{"stream": 7, "tracks": "no"}"#.utf8) : encoder.encode(result)
            let offset = frameOffsets[partition, default: 0]
            frameOffsets[partition] = offset + 1
            messages.append(KafkaMessage(topic: framesTopic, partition: partition, offset: offset, value: value))
            if index % 5 == 0 {
                let event = ZoneEvent(
                    kind: index % 10 == 0 ? .lineCross : .zoneEnter, name: index % 10 == 0 ? "gate" : "path",
                    trackID: 1, classID: 0, className: "person", box: Box(x1: 1, y1: 2, x2: 3, y2: 4),
                    direction: index % 10 == 0 ? (index % 20 == 0 ? .leftToRight : .rightToLeft) : nil,
                    durationSeconds: nil)
                let eventOffset = eventOffsets[partition, default: 0]
                eventOffsets[partition] = eventOffset + 1
                messages.append(
                    KafkaMessage(
                        topic: eventsTopic, partition: partition, offset: eventOffset,
                        value: encoder.encode(event, of: result)))
            }
        }
        return messages
    }
}

/// Every row of every archive table, in a stable order, as text (for comparing two archives).
func dump(_ location: ArchiveLocation) throws -> [String: [String]] {
    let connection = try location.connect()
    var tables: [String: [String]] = [:]
    for (table, columns) in [
        ("tracks", "*"), ("events", "*"), ("event_minutes", "*"), ("stream_minutes", "*"),
        ("occupancy_minutes", "*"), ("observations", "*"), ("archive_offsets", "topic, kafka_partition, next_offset"),
    ] {
        let rows = try connection.query("SELECT \(columns) FROM \(table)", [])
        tables[table] = rows.map { row in
            row.map { value -> String in
                switch value {
                case .null: "null"
                case .integer(let number): String(number)
                case .real(let number): String(format: "%.6f", number)
                case .text(let text): text
                }
            }.joined(separator: "|")
        }.sorted()
    }
    return tables
}
