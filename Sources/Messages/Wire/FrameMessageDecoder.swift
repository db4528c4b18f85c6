import Foundation
import Zones

/// A frame message as consumers read it: the result, plus the preview when the message has one.
public struct DecodedFrameMessage: Sendable {
    public var result: FrameResult
    /// The `frame_jpeg` data URL (`data:image/jpeg;base64,…`), when present.
    public var frameJPEG: String?
    /// Absent in messages written before versioning; consumers treat that as version 1.
    public var schemaVersion: Int?
    /// Top-level fields this version does not know (tolerated; a newer producer may have added them).
    public var unknownFields: [String] = []

    public init(result: FrameResult, frameJPEG: String?, schemaVersion: Int?, unknownFields: [String] = []) {
        self.result = result
        self.frameJPEG = frameJPEG
        self.schemaVersion = schemaVersion
        self.unknownFields = unknownFields
    }
}

/// Reads frame messages. Unknown fields are ignored (producers may add fields); the seed's fields are required and
/// checked, so a malformed message is an error the caller can count.
public enum FrameMessageDecoder {
    public struct InvalidMessage: Error, CustomStringConvertible {
        public var description: String
    }

    private struct Message: Decodable {
        var stream: String
        var frame_id: Int64
        var run_id: String?
        var instance: String?
        var tracks: [TrackMessage]
        var frame_jpeg: String?
        var schema_version: Int?
        var timestamp_ms: Int64?
        var width: Int?
        var height: Int?
        var zones: [String: [String: Int]]?
        var lines: [String: [String: [String: Int]]]?
        var unknownFields: [String]

        private struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        static let known: Set<String> = [
            "stream", "frame_id", "run_id", "instance", "tracks", "frame_jpeg", "schema_version", "timestamp_ms",
            "width",
            "height", "zones", "lines",
        ]

        // Hand-written so one parse also reports the fields this version does not know.
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            stream = try container.decode(String.self, forKey: Key(stringValue: "stream"))
            frame_id = try container.decode(Int64.self, forKey: Key(stringValue: "frame_id"))
            run_id = try container.decodeIfPresent(String.self, forKey: Key(stringValue: "run_id"))
            instance = try container.decodeIfPresent(String.self, forKey: Key(stringValue: "instance"))
            tracks = try container.decode([TrackMessage].self, forKey: Key(stringValue: "tracks"))
            frame_jpeg = try container.decodeIfPresent(String.self, forKey: Key(stringValue: "frame_jpeg"))
            schema_version = try container.decodeIfPresent(Int.self, forKey: Key(stringValue: "schema_version"))
            timestamp_ms = try container.decodeIfPresent(Int64.self, forKey: Key(stringValue: "timestamp_ms"))
            width = try container.decodeIfPresent(Int.self, forKey: Key(stringValue: "width"))
            height = try container.decodeIfPresent(Int.self, forKey: Key(stringValue: "height"))
            zones = try container.decodeIfPresent([String: [String: Int]].self, forKey: Key(stringValue: "zones"))
            lines = try container.decodeIfPresent(
                [String: [String: [String: Int]]].self, forKey: Key(stringValue: "lines"))
            unknownFields = container.allKeys.map(\.stringValue).filter { !Self.known.contains($0) }.sorted()
        }
    }

    private struct TrackMessage: Decodable {
        var track_id: Int
        var class_id: Int
        var class_name: String?
        var confidence: Float
        var bbox_xyxy: [Float]
    }

    public static func decode(_ bytes: some Collection<UInt8>) throws(InvalidMessage) -> DecodedFrameMessage {
        let message: Message
        do {
            message = try JSONDecoder().decode(Message.self, from: Data(bytes))
        } catch let DecodingError.keyNotFound(key, context) {
            throw InvalidMessage(description: "missing field '\(path(context.codingPath + [key]))'")
        } catch let DecodingError.typeMismatch(_, context) {
            throw InvalidMessage(description: "field '\(path(context.codingPath))' has the wrong type")
        } catch let DecodingError.valueNotFound(_, context) {
            throw InvalidMessage(description: "field '\(path(context.codingPath))' is null")
        } catch {
            throw InvalidMessage(description: "not a JSON object")
        }
        var tracks: [Track] = []
        tracks.reserveCapacity(message.tracks.count)
        for (index, track) in message.tracks.enumerated() {
            guard track.bbox_xyxy.count == 4 else {
                throw InvalidMessage(
                    description: "tracks[\(index)].bbox_xyxy has \(track.bbox_xyxy.count) numbers, not 4")
            }
            let box = track.bbox_xyxy
            tracks.append(
                Track(
                    trackID: track.track_id, classID: track.class_id, className: track.class_name,
                    confidence: track.confidence, x1: box[0], y1: box[1], x2: box[2], y2: box[3]))
        }
        var result = FrameResult(
            streamID: message.stream, frameID: message.frame_id, runID: message.run_id,
            instance: message.instance, timestampMs: message.timestamp_ms ?? 0,
            width: message.width ?? 0, height: message.height ?? 0, tracks: tracks)
        result.zones = (message.zones ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        result.lines = (message.lines ?? [:]).sorted { $0.key < $1.key }.map { name, directions in
            var counts: [CrossingDirection: [String: Int]] = [:]
            for (key, value) in directions {
                if let direction = CrossingDirection(rawValue: key) { counts[direction] = value }
            }
            return (name, counts)
        }
        return DecodedFrameMessage(
            result: result, frameJPEG: message.frame_jpeg, schemaVersion: message.schema_version,
            unknownFields: message.unknownFields)
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(
            in: CharacterSet(charactersIn: "."))
    }
}
