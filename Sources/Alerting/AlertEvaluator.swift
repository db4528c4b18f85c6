import AnalyticsCore
import Foundation
import Messages
import Zones

/// Evaluates the rules over the frames topic, one frame at a time, and decides notifications.
///
/// Every decision is a function of one stream's frames in their order on the bus (the frames of a stream share a
/// partition), and time is the frames' capture time: evaluating the same frames again from a checkpoint decides the
/// same notifications with the same ids, whatever the interleaving with other streams. Only `stream_down` also looks
/// at a clock (`checkSilence`), and the ids it decides depend on the last frame's time alone.
///
/// Each instance (rule × stream × zone or line) goes inactive → pending (the condition holds, `for_s` not yet) →
/// firing (notified) → resolved (notified) → inactive.
public struct AlertEvaluator: Sendable {
    public let rules: [AlertRule]
    /// Each configured stream's zones (dwell decides membership from the tracks' boxes).
    private let zones: [String: [ZoneDefinition]]
    public private(set) var state: AlertEvaluatorState
    /// Per stream id, the indices of the rules that watch it (derived, not part of the state).
    private var rulesByStream: [String: [Int]] = [:]

    /// A track not in a stream's frames for this long has left every zone (the dwell rule's visits).
    public static let visitGraceMilliseconds: Int64 = 5000

    public init(rules: [AlertRule], streams: [StreamConfiguration], state: AlertEvaluatorState = .init()) {
        self.rules = rules
        var zones: [String: [ZoneDefinition]] = [:]
        for stream in streams { zones[stream.id] = stream.zones }
        self.zones = zones
        self.state = state
    }

    /// The notifications `frame` decides.
    public mutating func observe(_ frame: FrameResult) -> [AlertNotification] {
        let stream = frame.streamID
        let at = frame.timestampMs
        var notifications: [AlertNotification] = []
        let known = state.streams[stream] != nil
        var streamState = state.streams[stream] ?? AlertEvaluatorState.Stream()
        let previousMs = streamState.lastMs
        let sameRun = streamState.runID == frame.runID
        // New crossings per line since this stream's previous frame (the frames carry running totals per run). The
        // first frame read of a stream only sets the baseline (reading may start in the middle of a run); a new run
        // counts from zero.
        var newCrossings: [String: [CrossingDirection: [String: Int]]] = [:]
        for (name, counts) in frame.lines {
            let before = sameRun || !known ? streamState.lineTotals[name] ?? [:] : [:]
            var delta: [CrossingDirection: [String: Int]] = [:]
            for (direction, classes) in counts {
                for (className, total) in classes {
                    let added = known ? total - (before[direction.rawValue]?[className] ?? 0) : 0
                    if added > 0 { delta[direction, default: [:]][className] = added }
                }
            }
            newCrossings[name] = delta
            streamState.lineTotals[name] = Dictionary(
                uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) })
        }
        if !sameRun {
            // Totals of lines this run's frames do not carry belong to the older run.
            for name in streamState.lineTotals.keys where newCrossings[name] == nil {
                streamState.lineTotals[name] = nil
            }
        }
        streamState.runID = frame.runID
        streamState.lastMs = max(previousMs ?? at, at)
        let context = Context(at: at, frameID: frame.frameID, runID: frame.runID)

        for index in ruleIndices(for: stream) {
            let rule = rules[index]
            switch rule.kind {
            case .occupancy, .presence:
                guard let zone = rule.zone, let counts = frame.zones.first(where: { $0.name == zone })?.counts else {
                    continue
                }
                let value = Self.count(counts, rule.classes)
                var holds = value >= rule.minCount
                if let schedule = rule.schedule { holds = holds && schedule.contains(milliseconds: at) }
                step(rule, stream: stream, subject: zone, holds: holds, value: value, context, into: &notifications)
            case .crossings:
                guard let line = rule.line, let delta = newCrossings[line] else { continue }
                var added = 0
                for (direction, classes) in delta where rule.direction == "any" || rule.direction == direction.rawValue
                {
                    added += Self.count(classes, rule.classes)
                }
                var window = streamState.crossings[rule.name] ?? []
                if added > 0 { window.append(.init(atMs: at, count: added)) }
                let horizon = at - Int64(rule.windowSeconds * 1000)
                window.removeAll { $0.atMs <= horizon }
                streamState.crossings[rule.name] = window.isEmpty ? nil : window
                let value = window.reduce(0) { $0 + $1.count }
                step(
                    rule, stream: stream, subject: line, holds: value >= rule.minCount, value: value, context,
                    into: &notifications)
            case .dwell:
                guard let zoneName = rule.zone,
                    let zone = zones[stream]?.first(where: { $0.name == zoneName }), frame.width > 0, frame.height > 0
                else { continue }
                var visits = streamState.visits[rule.name] ?? [:]
                let width = Double(frame.width), height = Double(frame.height)
                var seen = Set<Int>()
                for track in frame.tracks where track.trackID >= 0 && Self.matches(track.className, rule.classes) {
                    let point = zone.anchor.point(of: track.box, width: width, height: height)
                    guard ZoneGeometry.contains(zone.polygon, point) else {
                        visits[track.trackID] = nil
                        continue
                    }
                    seen.insert(track.trackID)
                    let since = sameRun ? visits[track.trackID]?.sinceMs ?? at : at
                    visits[track.trackID] = .init(sinceMs: since, lastSeenMs: at)
                }
                if !sameRun { visits = visits.filter { seen.contains($0.key) } }
                visits = visits.filter { at - $0.value.lastSeenMs <= Self.visitGraceMilliseconds }
                streamState.visits[rule.name] = visits.isEmpty ? nil : visits
                let minimum = Int64(rule.minSeconds * 1000)
                let value = visits.values.filter { $0.lastSeenMs == at && at - $0.sinceMs >= minimum }.count
                step(
                    rule, stream: stream, subject: zoneName, holds: value >= rule.minCount, value: value, context,
                    into: &notifications)
            case .streamDown:
                let key = Self.instanceKey(rule, stream, nil)
                let limit = Int64(rule.forSeconds * 1000)
                if let firing = state.instances[key] {
                    notifications.append(resolve(rule, stream: stream, subject: nil, firing, context))
                    state.instances[key] = nil
                } else if let previousMs, at - previousMs >= limit {
                    // The silence is over by the time it is read (a catch-up, or a gap the clock check missed):
                    // the same firing the clock check would have sent, then its resolve.
                    let started = previousMs + limit
                    let firing = AlertEvaluatorState.Instance(
                        firing: true, sinceMs: started, lastNotifiedMs: started, repeats: 0, value: Int(limit / 1000))
                    notifications.append(
                        notification(
                            rule, stream: stream, subject: nil, state: .firing, instance: firing,
                            context: Context(at: at, frameID: frame.frameID, runID: frame.runID),
                            value: Int((at - previousMs) / 1000)))
                    notifications.append(resolve(rule, stream: stream, subject: nil, firing, context))
                }
            }
        }
        state.streams[stream] = streamState
        return notifications
    }

    /// `stream_down` against a clock (`nowMs`, ms since the epoch): streams silent for `for_s` start firing (and
    /// repeat). Call it only when the consumer has read everything there is, or a backlog looks like silence.
    public mutating func checkSilence(nowMs: Int64) -> [AlertNotification] {
        var notifications: [AlertNotification] = []
        for (stream, streamState) in state.streams.sorted(by: { $0.key < $1.key }) {
            guard let lastMs = streamState.lastMs else { continue }
            for index in ruleIndices(for: stream) where rules[index].kind == .streamDown {
                let rule = rules[index]
                let limit = Int64(rule.forSeconds * 1000)
                let key = Self.instanceKey(rule, stream, nil)
                let silentSeconds = Int((nowMs - lastMs) / 1000)
                let context = Context(at: nowMs, frameID: nil, runID: streamState.runID)
                if var instance = state.instances[key] {
                    let period = Int64(rule.repeatSeconds * 1000)
                    guard period > 0, nowMs - instance.lastNotifiedMs >= period else { continue }
                    instance.repeats = Int((nowMs - instance.sinceMs) / period)
                    instance.lastNotifiedMs = instance.sinceMs + Int64(instance.repeats) * period
                    state.instances[key] = instance
                    notifications.append(
                        notification(
                            rule, stream: stream, subject: nil, state: .firing, instance: instance, context: context,
                            value: silentSeconds))
                } else if nowMs - lastMs >= limit {
                    let instance = AlertEvaluatorState.Instance(
                        firing: true, sinceMs: lastMs + limit, lastNotifiedMs: lastMs + limit, repeats: 0,
                        value: silentSeconds)
                    state.instances[key] = instance
                    notifications.append(
                        notification(
                            rule, stream: stream, subject: nil, state: .firing, instance: instance, context: context,
                            value: silentSeconds))
                }
            }
        }
        return notifications
    }

    /// The instances firing now.
    public var firing: [String] { state.instances.filter(\.value.firing).keys.sorted() }

    struct Context {
        var at: Int64
        var frameID: Int64?
        var runID: String?
    }

    /// One evaluation of an instance's condition.
    private mutating func step(
        _ rule: AlertRule, stream: String, subject: String, holds: Bool, value: Int, _ context: Context,
        into notifications: inout [AlertNotification]
    ) {
        let key = Self.instanceKey(rule, stream, subject)
        let at = context.at
        guard holds else {
            if let instance = state.instances[key], instance.firing {
                var ended = instance
                ended.value = value
                notifications.append(resolve(rule, stream: stream, subject: subject, ended, context))
            }
            state.instances[key] = nil
            return
        }
        if var instance = state.instances[key] {
            instance.value = value
            if !instance.firing {
                if at - instance.sinceMs >= Int64(rule.forSeconds * 1000) {
                    instance = .init(firing: true, sinceMs: at, lastNotifiedMs: at, repeats: 0, value: value)
                    notifications.append(
                        notification(
                            rule, stream: stream, subject: subject, state: .firing, instance: instance,
                            context: context, value: value))
                }
            } else if rule.repeatSeconds > 0, at - instance.lastNotifiedMs >= Int64(rule.repeatSeconds * 1000) {
                instance.repeats += 1
                instance.lastNotifiedMs = at
                notifications.append(
                    notification(
                        rule, stream: stream, subject: subject, state: .firing, instance: instance, context: context,
                        value: value))
            }
            state.instances[key] = instance
        } else if rule.forSeconds == 0 {
            let instance = AlertEvaluatorState.Instance(
                firing: true, sinceMs: at, lastNotifiedMs: at, repeats: 0, value: value)
            state.instances[key] = instance
            notifications.append(
                notification(
                    rule, stream: stream, subject: subject, state: .firing, instance: instance, context: context,
                    value: value))
        } else {
            state.instances[key] = .init(firing: false, sinceMs: at, lastNotifiedMs: 0, repeats: 0, value: value)
        }
    }

    private func resolve(
        _ rule: AlertRule, stream: String, subject: String?, _ instance: AlertEvaluatorState.Instance,
        _ context: Context
    ) -> AlertNotification {
        notification(
            rule, stream: stream, subject: subject, state: .resolved, instance: instance, context: context,
            value: instance.value)
    }

    private func notification(
        _ rule: AlertRule, stream: String, subject: String?, state: AlertNotification.State,
        instance: AlertEvaluatorState.Instance, context: Context, value: Int
    ) -> AlertNotification {
        let key = Self.instanceKey(rule, stream, subject)
        let suffix =
            state == .resolved ? "resolved" : (instance.repeats == 0 ? "firing" : "repeat-\(instance.repeats)")
        let zone = rule.zone, line = rule.line
        let text = AlertTextTemplate.render(
            rule.text,
            [
                "rule": rule.name, "stream": stream, "zone": zone ?? "", "line": line ?? "", "value": String(value),
                "state": state.rawValue, "severity": rule.severity.rawValue,
                "for_s": Self.format(rule.forSeconds), "min_count": String(rule.minCount),
                "window_s": Self.format(rule.windowSeconds), "min_s": Self.format(rule.minSeconds),
            ])
        return AlertNotification(
            id: "\(key)/\(instance.sinceMs)/\(suffix)", instance: key, rule: rule.name, type: rule.kind.rawValue,
            stream: stream, zone: zone, line: line, state: state, repeat: state == .resolved ? 0 : instance.repeats,
            severity: rule.severity.rawValue, text: text, value: value, started_at_ms: instance.sinceMs,
            ended_at_ms: state == .resolved ? context.at : nil, at_ms: context.at, frame_id: context.frameID,
            run_id: context.runID)
    }

    private mutating func ruleIndices(for stream: String) -> [Int] {
        if let known = rulesByStream[stream] { return known }
        let indices = rules.indices.filter { index in
            rules[index].streams.isEmpty || rules[index].streams.contains { StreamPattern.matches($0, stream) }
        }
        rulesByStream[stream] = indices
        return indices
    }

    static func instanceKey(_ rule: AlertRule, _ stream: String, _ subject: String?) -> String {
        "\(rule.name)/\(stream)/\(subject ?? "-")"
    }

    private static func count(_ counts: [String: Int], _ classes: [String]) -> Int {
        classes.isEmpty ? counts.values.reduce(0, +) : classes.reduce(0) { $0 + (counts[$1] ?? 0) }
    }

    private static func matches(_ className: String?, _ classes: [String]) -> Bool {
        classes.isEmpty || className.map(classes.contains) == true
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}

/// What the rules remember between frames: all of it goes into the checkpoint.
public struct AlertEvaluatorState: Codable, Sendable, Equatable {
    public struct Stream: Codable, Sendable, Equatable {
        /// The newest capture time seen.
        public var lastMs: Int64?
        public var runID: String?
        /// Per line, per direction, per class: the running totals of the last frame.
        public var lineTotals: [String: [String: [String: Int]]] = [:]
        /// Per crossings rule: the crossings inside its window.
        public var crossings: [String: [Crossing]] = [:]
        /// Per dwell rule: the tracks in its zone, by track id.
        public var visits: [String: [Int: Visit]] = [:]
    }

    public struct Crossing: Codable, Sendable, Equatable {
        public var atMs: Int64
        public var count: Int
    }

    public struct Visit: Codable, Sendable, Equatable {
        public var sinceMs: Int64
        public var lastSeenMs: Int64
    }

    /// A pending or firing instance (inactive ones are not kept).
    public struct Instance: Codable, Sendable, Equatable {
        public var firing: Bool
        /// Pending: when the condition began to hold; firing: when it started firing.
        public var sinceMs: Int64
        public var lastNotifiedMs: Int64
        public var repeats: Int
        public var value: Int
    }

    public var streams: [String: Stream] = [:]
    public var instances: [String: Instance] = [:]

    public init() {}
}
