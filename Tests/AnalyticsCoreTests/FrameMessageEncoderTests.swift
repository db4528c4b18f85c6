import AnalyticsCore
import Foundation
import Testing

@Suite("Frame message encoder")
struct FrameMessageEncoderTests {
    @Test("the seed's example message, with the additive fields, byte for byte")
    func golden() {
        var encoder = FrameMessageEncoder()
        let result = FrameResult(
            streamID: "camera-1", frameID: 12345, timestampMs: 1_764_000_000_123, width: 640, height: 360,
            tracks: [Track(trackID: 7, classID: 0, confidence: 0.91, x1: 105.2, y1: 88.7, x2: 240.5, y2: 320.1)])
        let text = String(decoding: encoder.encode(result), as: UTF8.self)
        #expect(
            text == #"{"stream":"camera-1","frame_id":12345,"timestamp_ms":1764000000123,"width":640,"height":360,"schema_version":1,"tracks":[{"track_id":7,"class_id":0,"confidence":0.91,"bbox_xyxy":[105.2,88.7,240.5,320.1]}]}"#)
    }

    @Test("no tracks gives an empty list; class_name appears when known")
    func emptyAndNamed() throws {
        var encoder = FrameMessageEncoder()
        let empty = FrameResult(streamID: "a", frameID: 0, timestampMs: 0, width: 2, height: 2, tracks: [])
        #expect(String(decoding: encoder.encode(empty), as: UTF8.self).hasSuffix(#""tracks":[]}"#))
        let named = FrameResult(
            streamID: "a", frameID: -1, timestampMs: 5, width: 2, height: 2,
            tracks: [Track(trackID: -1, classID: 2, className: "car", confidence: 1, x1: 0, y1: 0.5, x2: 1e-7, y2: 3e9)])
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
