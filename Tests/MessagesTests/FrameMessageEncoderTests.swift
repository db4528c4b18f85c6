import AnalyticsCore
import Foundation
import Messages
import Testing

@Suite("Frame message encoder", .timeLimit(.minutes(1)))
struct FrameMessageEncoderTests {
    @Test("the seed's example message, with the additive fields, byte for byte")
    func golden() {
        var encoder = FrameMessageEncoder()
        let result = FrameResult(
            streamID: "camera-1", frameID: 12345, runID: "20261205T033104.123Z-9f3c61a2",
            timestampMs: 1_764_000_000_123, width: 640, height: 360,
            tracks: [Track(trackID: 7, classID: 0, confidence: 0.91, x1: 105.2, y1: 88.7, x2: 240.5, y2: 320.1)])
        let text = String(decoding: encoder.encode(result), as: UTF8.self)
        #expect(
            text
                == #"{"stream":"camera-1","frame_id":12345,"run_id":"20261205T033104.123Z-9f3c61a2","timestamp_ms":1764000000123,"width":640,"height":360,"schema_version":2,"tracks":[{"track_id":7,"class_id":0,"confidence":0.91,"bbox_xyxy":[105.2,88.7,240.5,320.1]}]}"#
        )
    }

    @Test("no tracks gives an empty list; class_name appears when known")
    func emptyAndNamed() throws {
        var encoder = FrameMessageEncoder()
        let empty = FrameResult(streamID: "a", frameID: 0, timestampMs: 0, width: 2, height: 2, tracks: [])
        #expect(String(decoding: encoder.encode(empty), as: UTF8.self).hasSuffix(#""tracks":[]}"#))
        let named = FrameResult(
            streamID: "a", frameID: -1, timestampMs: 5, width: 2, height: 2,
            tracks: [Track(trackID: -1, classID: 2, className: "car", confidence: 1, x1: 0, y1: 0.5, x2: 1e-7, y2: 3e9)]
        )
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(encoder.encode(named))) as? [String: Any])
        let track = try #require((object["tracks"] as? [[String: Any]])?.first)
        #expect(track["class_name"] as? String == "car")
        #expect(object["frame_id"] as? Int == -1)
        let box = try #require(track["bbox_xyxy"] as? [Double])
        #expect(Float(box[2]) == 1e-7 && Float(box[3]) == 3e9)
    }

    @Test("strings are escaped; nan and infinity never reach the JSON")
    func escapingAndNonFinite() throws {
        var encoder = FrameMessageEncoder()
        let id = "cam \"1\"\\\n\t\u{01}<img src=x onerror=alert(1)> ü"
        let result = FrameResult(
            streamID: id, frameID: 1, timestampMs: 1, width: 1, height: 1,
            tracks: [Track(trackID: 1, classID: 0, confidence: .nan, x1: .infinity, y1: -.infinity, x2: 0, y2: 0)])
        let bytes = encoder.encode(result)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(object["stream"] as? String == id)
        let track = try #require((object["tracks"] as? [[String: Any]])?.first)
        #expect(track["confidence"] as? Double == 0)
        let box = try #require(track["bbox_xyxy"] as? [Double])
        #expect(Float(box[0]) == .greatestFiniteMagnitude && Float(box[1]) == -.greatestFiniteMagnitude)
    }
}

@Suite("Run ids", .timeLimit(.minutes(1)))
struct RunIDTests {
    @Test("run ids are fixed width and sort by start time; the random part tells same-millisecond starts apart")
    func ordering() {
        let start = Date(timeIntervalSince1970: 1_764_903_064.123)
        let id = RunID.make(startedAt: start, random: 0x9f3c_61a2)
        #expect(id == "20251205T025104.123Z-9f3c61a2")
        let later = [0.001, 1, 59, 3600, 86_400 * 400].map {
            RunID.make(startedAt: start.addingTimeInterval($0), random: 0)
        }
        for candidate in later {
            #expect(candidate.count == id.count && RunID.isNewer(candidate, than: id), "\(candidate) vs \(id)")
        }
        #expect(!RunID.isNewer(id, than: later[0]))
        #expect(RunID.make(startedAtMs: 1_764_903_064_123) != RunID.make(startedAtMs: 1_764_903_064_123))
    }
}

@Suite("Frame message decoder", .timeLimit(.minutes(1)))
struct FrameMessageDecoderTests {
    @Test("random results survive encode → decode unchanged (with and without previews)")
    func roundTrip() throws {
        var generator = SeededRandomGenerator(seed: 56)
        var encoder = FrameMessageEncoder()
        let names = [nil, "person", "car", "traffic light", "a \"quoted\" name\n"]
        for iteration in 0..<500 {
            let tracks = (0..<Int.random(in: 0...20, using: &generator)).map { _ in
                Track(
                    trackID: Int.random(in: -1...100_000, using: &generator),
                    classID: Int.random(in: 0...79, using: &generator),
                    className: names.randomElement(using: &generator)!,
                    confidence: Float.random(in: 0...1, using: &generator),
                    x1: Float.random(in: -10...2000, using: &generator),
                    y1: Float.random(in: -10...2000, using: &generator),
                    x2: Float.random(in: 0...4000, using: &generator),
                    y2: Float(Int.random(in: 0...4000, using: &generator)))
            }
            var result = FrameResult(
                streamID: "cam-\(iteration) ü", frameID: Int64.random(in: 0...Int64.max, using: &generator),
                timestampMs: Int64.random(in: 0...4_000_000_000_000, using: &generator),
                width: Int.random(in: 2...4096, using: &generator), height: Int.random(in: 2...4096, using: &generator),
                tracks: tracks)
            result.runID = iteration % 2 == 0 ? RunID.make(startedAtMs: 1_800_000_000_000) : nil
            let jpeg: [UInt8]? =
                iteration % 3 == 0
                ? (0..<Int.random(in: 0...50, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                } : nil
            let bytes =
                jpeg.map { jpeg in jpeg.withUnsafeBytes { encoder.encode(result, jpeg: $0) } } ?? encoder.encode(result)
            let decoded = try FrameMessageDecoder.decode(bytes)
            #expect(decoded.result.streamID == result.streamID && decoded.result.frameID == result.frameID)
            #expect(decoded.result.timestampMs == result.timestampMs && decoded.result.runID == result.runID)
            #expect(decoded.result.width == result.width && decoded.result.height == result.height)
            #expect(decoded.result.tracks == result.tracks, "iteration \(iteration)")
            #expect(decoded.schemaVersion == FrameMessageEncoder.schemaVersion)
            if let jpeg {
                let url = try #require(decoded.frameJPEG)
                #expect(url.hasPrefix("data:image/jpeg;base64,"))
                #expect(Data(base64Encoded: String(url.dropFirst("data:image/jpeg;base64,".count))) == Data(jpeg))
            } else {
                #expect(decoded.frameJPEG == nil)
            }
        }
    }

    @Test("unknown fields are tolerated; the seed's minimal message decodes")
    func tolerant() throws {
        let seed =
            #"{"stream": "camera-1", "frame_id": 12345, "tracks": [{"track_id": 7, "class_id": 0, "confidence": 0.91, "bbox_xyxy": [105.2, 88.7, 240.5, 320.1]}], "future": {"x": [1, 2]}}"#
        let decoded = try FrameMessageDecoder.decode(Array(seed.utf8))
        #expect(decoded.result.streamID == "camera-1" && decoded.result.frameID == 12345)
        #expect(
            decoded.result.tracks == [
                Track(trackID: 7, classID: 0, confidence: 0.91, x1: 105.2, y1: 88.7, x2: 240.5, y2: 320.1)
            ])
        #expect(decoded.schemaVersion == nil && decoded.frameJPEG == nil)
        #expect(decoded.unknownFields == ["future"])
    }

    @Test("malformed messages are errors that say what is wrong")
    func malformed() {
        let cases: [(String, String)] = [
            ("not json", "not a JSON object"),
            (#"{"frame_id": 1, "tracks": []}"#, "missing field 'stream'"),
            (#"{"stream": "a", "frame_id": "x", "tracks": []}"#, "field 'frame_id' has the wrong type"),
            (
                #"{"stream": "a", "frame_id": 1, "tracks": [{"track_id": 1, "class_id": 0, "confidence": 1, "bbox_xyxy": [1, 2]}]}"#,
                "bbox_xyxy has 2 numbers"
            ),
        ]
        for (text, expected) in cases {
            #expect(throws: FrameMessageDecoder.InvalidMessage.self) {
                try FrameMessageDecoder.decode(Array(text.utf8))
            }
            do { _ = try FrameMessageDecoder.decode(Array(text.utf8)) } catch {
                #expect(error.description.contains(expected), "\(error)")
            }
        }
    }

    @Test("base64 matches Foundation's for every length")
    func base64() {
        for length in 0..<70 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            var out: [UInt8] = [1, 2]
            bytes.withUnsafeBytes { Base64.append($0, to: &out) }
            #expect(Array(out.dropFirst(2)) == Array(Data(bytes).base64EncodedString().utf8))
        }
    }
}
