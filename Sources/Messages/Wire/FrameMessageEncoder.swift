import Zones

/// Writes a `FrameResult` as one JSON message (the bus's wire format) into a buffer it reuses.
///
/// Hand-written rather than `JSONEncoder`: the key order is fixed (stable for diffing and golden tests), floats are
/// printed in their own shortest form (never widened to Double), and nothing is allocated per message once the buffer
/// has grown to its working size. Not thread-safe: each producer owns one encoder.
public struct FrameMessageEncoder: Sendable {
    /// Version of the message layout and meaning (fields are only ever added). 2: `run_id`, and track ids unique
    /// within (stream, run_id) rather than per stream.
    public static let schemaVersion = 2

    public private(set) var bytes: [UInt8] = []

    public init(reservingCapacity capacity: Int = 4096) {
        bytes.reserveCapacity(capacity)
    }

    /// Encodes `result` (replacing the previous message) and returns the bytes. With `jpeg`, the message carries it
    /// as `frame_jpeg`, a `data:image/jpeg;base64,…` URL.
    @discardableResult
    public mutating func encode(_ result: FrameResult, jpeg: UnsafeRawBufferPointer? = nil) -> [UInt8] {
        bytes.removeAll(keepingCapacity: true)
        append("{\"stream\":")
        appendString(result.streamID)
        append(",\"frame_id\":")
        appendInteger(result.frameID)
        appendMember(",\"run_id\":", result.runID)
        appendMember(",\"instance\":", result.instance)
        append(",\"timestamp_ms\":")
        appendInteger(result.timestampMs)
        append(",\"width\":")
        appendInteger(Int64(result.width))
        append(",\"height\":")
        appendInteger(Int64(result.height))
        append(",\"schema_version\":")
        appendInteger(Int64(Self.schemaVersion))
        append(",\"tracks\":[")
        for (position, track) in result.tracks.enumerated() {
            if position > 0 { bytes.append(UInt8(ascii: ",")) }
            append("{\"track_id\":")
            appendInteger(Int64(track.trackID))
            append(",\"class_id\":")
            appendInteger(Int64(track.classID))
            appendMember(",\"class_name\":", track.className)
            append(",\"confidence\":")
            appendFloat(track.confidence)
            append(",\"bbox_xyxy\":")
            appendBox(track.x1, track.y1, track.x2, track.y2)
            append("}")
        }
        append("]")
        if !result.zones.isEmpty {
            append(",\"zones\":{")
            for (position, zone) in result.zones.enumerated() {
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                appendString(zone.name)
                bytes.append(UInt8(ascii: ":"))
                appendCounts(zone.counts)
            }
            append("}")
        }
        if !result.lines.isEmpty {
            append(",\"lines\":{")
            for (position, line) in result.lines.enumerated() {
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                appendString(line.name)
                append(":{\"left_to_right\":")
                appendCounts(line.counts[.leftToRight] ?? [:])
                append(",\"right_to_left\":")
                appendCounts(line.counts[.rightToLeft] ?? [:])
                append("}")
            }
            append("}")
        }
        if let jpeg {
            append(",\"frame_jpeg\":\"data:image/jpeg;base64,")
            Base64.append(jpeg, to: &bytes)
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// One zone or line event of `result`'s frame as its own message (the events topic's format).
    @discardableResult
    public mutating func encode(_ event: ZoneEvent, of result: FrameResult) -> [UInt8] {
        bytes.removeAll(keepingCapacity: true)
        append("{\"stream\":")
        appendString(result.streamID)
        appendMember(",\"run_id\":", result.runID)
        append(",\"event\":")
        appendString(event.kind.rawValue)
        append(event.kind == .lineCross ? ",\"line\":" : ",\"zone\":")
        appendString(event.name)
        append(",\"track_id\":")
        appendInteger(Int64(event.trackID))
        append(",\"class_id\":")
        appendInteger(Int64(event.classID))
        appendMember(",\"class_name\":", event.className)
        appendMember(",\"direction\":", event.direction?.rawValue)
        if let duration = event.durationSeconds {
            append(",\"duration_s\":")
            appendFloat(Float((duration * 1000).rounded() / 1000))
        }
        append(",\"frame_id\":")
        appendInteger(result.frameID)
        append(",\"timestamp_ms\":")
        appendInteger(result.timestampMs)
        append(",\"bbox_xyxy\":")
        appendBox(Float(event.box.x1), Float(event.box.y1), Float(event.box.x2), Float(event.box.y2))
        append(",\"schema_version\":")
        appendInteger(Int64(Self.schemaVersion))
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// `[x1,y1,x2,y2]`.
    private mutating func appendBox(_ x1: Float, _ y1: Float, _ x2: Float, _ y2: Float) {
        // Written out, not looped over an array: no allocation per box.
        bytes.append(UInt8(ascii: "["))
        appendFloat(x1)
        bytes.append(UInt8(ascii: ","))
        appendFloat(y1)
        bytes.append(UInt8(ascii: ","))
        appendFloat(x2)
        bytes.append(UInt8(ascii: ","))
        appendFloat(y2)
        bytes.append(UInt8(ascii: "]"))
    }

    /// `{"car":1,"person":2}`, names sorted (stable output).
    private mutating func appendCounts(_ counts: [String: Int]) {
        bytes.append(UInt8(ascii: "{"))
        for (position, name) in counts.keys.sorted().enumerated() {
            if position > 0 { bytes.append(UInt8(ascii: ",")) }
            appendString(name)
            bytes.append(UInt8(ascii: ":"))
            appendInteger(Int64(counts[name]!))
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// `,"key":"value"` when there is a value; nothing otherwise (optional members are left out, not null).
    private mutating func appendMember(_ key: StaticString, _ value: String?) {
        guard let value else { return }
        append(key)
        appendString(value)
    }

    private mutating func append(_ literal: StaticString) {
        literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    private mutating func appendInteger(_ value: Int64) {
        if value == 0 {
            bytes.append(UInt8(ascii: "0"))
            return
        }
        var magnitude = value.magnitude
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        let start = bytes.count
        while magnitude > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        }
        bytes[start...].reverse()
    }

    /// JSON has no nan or infinity: nan becomes 0 and infinities the largest finite Float, so a consumer always
    /// receives a number.
    private mutating func appendFloat(_ value: Float) {
        let finite: Float =
            value.isNaN
            ? 0 : (value.isInfinite ? (value < 0 ? -.greatestFiniteMagnitude : .greatestFiniteMagnitude) : value)
        if finite == finite.rounded(), finite.magnitude < 1e15 {
            appendInteger(Int64(finite))  // "12" rather than "12.0": shortest text that parses to the same Float.
            return
        }
        var text = finite.description
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    private mutating func appendString(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0x00..<0x20:
                append("\\u00")
                bytes.append(Self.hexDigits[Int(byte >> 4)])
                bytes.append(Self.hexDigits[Int(byte & 0x0F)])
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
