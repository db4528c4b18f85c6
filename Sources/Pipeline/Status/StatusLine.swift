import Foundation
import Messages

/// One stream's figures over the last status interval.
public struct StreamStatus: Sendable, Equatable {
    public var id: String
    public var state: StreamState
    public var decodedFPS: Double
    public var analysedFPS: Double
    /// Frames decoded but never analysed, since start.
    public var dropped: Int
    public var lastError: String?

    public init(
        id: String, state: StreamState, decodedFPS: Double, analysedFPS: Double, dropped: Int, lastError: String?
    ) {
        self.id = id
        self.state = state
        self.decodedFPS = decodedFPS
        self.analysedFPS = analysedFPS
        self.dropped = dropped
        self.lastError = lastError
    }
}

/// Renders the periodic status line: per stream when there are few streams, a summary with ranges and only the
/// unhealthy streams named when there are many (32 streams must still fit one readable line).
public enum StatusLine {
    public static let detailedStreamLimit = 8

    public static func render(streams: [StreamStatus], sinks: [(name: String, counters: SinkCounters)]) -> String {
        var parts: [String] = []
        let online = streams.filter { $0.state == .online }.count
        parts.append("\(online)/\(streams.count) online")
        let decoded = streams.reduce(0) { $0 + $1.decodedFPS }
        let analysed = streams.reduce(0) { $0 + $1.analysedFPS }
        let dropped = streams.reduce(0) { $0 + $1.dropped }
        if streams.count <= detailedStreamLimit {
            parts.append("decode \(fps(decoded)) fps, analysed \(fps(analysed))/s, not analysed \(dropped)")
            for stream in streams {
                parts.append(
                    "\(stream.id) \(stream.state) \(fps(stream.decodedFPS))/\(fps(stream.analysedFPS)) drop \(stream.dropped)"
                )
            }
        } else {
            let live = streams.filter { $0.state == .online }
            let decodeRange = range(live.map(\.decodedFPS))
            let analysedRange = range(live.map(\.analysedFPS))
            parts.append("decode \(fps(decoded)) fps (\(decodeRange)/stream)")
            parts.append("analysed \(fps(analysed))/s (\(analysedRange)/stream)")
            parts.append("not analysed \(dropped)")
            let unhealthy = streams.filter { $0.state != .online }
            if !unhealthy.isEmpty {
                let named = unhealthy.prefix(6).map { "\($0.id) \($0.state)" }.joined(separator: ", ")
                parts.append(unhealthy.count > 6 ? "\(named), +\(unhealthy.count - 6) more" : named)
            }
        }
        for sink in sinks {
            let counters = sink.counters
            parts.append(
                "\(sink.name) \(counters.written) written, \(counters.pending) pending, \(counters.failed) failed, \(counters.dropped) dropped"
            )
        }
        if sinks.isEmpty { parts.append("no output") }
        return "status | " + parts.joined(separator: " | ")
    }

    static func fps(_ value: Double) -> String {
        String(format: "%.1f", value)
    }

    static func range(_ values: [Double]) -> String {
        guard let low = values.min(), let high = values.max() else { return "-" }
        return "\(fps(low))-\(fps(high))"
    }
}
