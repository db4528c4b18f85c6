import Tracking

/// A published track as the zone counter sees it.
public struct ZoneObservation: Sendable {
    public var trackID: Int
    public var classID: Int
    public var className: String?
    /// Frame pixels.
    public var box: Box

    public init(trackID: Int, classID: Int, className: String?, box: Box) {
        self.trackID = trackID
        self.classID = classID
        self.className = className
        self.box = box
    }
}

/// Something that happened in a zone or on a line.
public struct ZoneEvent: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case zoneEnter = "zone_enter"
        case zoneExit = "zone_exit"
        case dwell
        case lineCross = "line_cross"
    }

    public var kind: Kind
    /// The zone's or the line's name.
    public var name: String
    public var trackID: Int
    public var classID: Int
    public var className: String?
    /// The track's box when the event was decided (frame pixels; its last box for a lost track's exit).
    public var box: Box
    /// `line_cross` only.
    public var direction: CrossingDirection?
    /// `zone_exit`: the visit's length; `dwell`: how long the track has been in the zone.
    public var durationSeconds: Double?

    public init(
        kind: Kind, name: String, trackID: Int, classID: Int, className: String?, box: Box,
        direction: CrossingDirection?, durationSeconds: Double?
    ) {
        self.kind = kind
        self.name = name
        self.trackID = trackID
        self.classID = classID
        self.className = className
        self.box = box
        self.direction = direction
        self.durationSeconds = durationSeconds
    }
}

/// One stream's zones and lines, updated with its published tracks after every analysed frame: decides the events
/// and keeps the occupancy and the line counts. Used by one worker at a time (it lives in the stream's lane).
///
/// Decisions follow each track's path, not its sampled points alone: a line crossing is the path between the last
/// two positions clearly on either side of the line crossing the line's segment, however long apart they are (at a
/// few looks per second a walker may be metres further at each look), so it counts once, with its direction.
/// Positions within `hysteresis` (normalised) of a line or a zone's edge change nothing: a track standing on the
/// line, its box jittering, is not counted again and again. A track that is no longer published ends its zone
/// visits once it has been gone `forgetAfterSeconds` (the tracker's lost buffer).
public final class ZoneCounter {
    public let zones: [ZoneDefinition]
    public let lines: [LineDefinition]
    private let hysteresis: Double
    private let forgetAfterSeconds: Double

    private struct TrackState {
        var classID: Int
        var className: String?
        var box: Box
        var lastSeen: Double
        /// Zone index → when the visit began, and whether its dwell event was sent.
        var visits: [Int: (since: Double, dwellSent: Bool)] = [:]
        /// Line index → the last position clearly on one side, and that side (+1 right, -1 left).
        var sides: [Int: (point: NormalizedPoint, side: Int)] = [:]
    }

    private var tracks: [Int: TrackState] = [:]
    /// Per line, per direction, per class name: crossings so far.
    public private(set) var lineCounts: [[CrossingDirection: [String: Int]]]

    public init(
        zones: [ZoneDefinition], lines: [LineDefinition], hysteresis: Double = 0.01, forgetAfterSeconds: Double = 2
    ) {
        self.zones = zones
        self.lines = lines
        self.hysteresis = hysteresis
        self.forgetAfterSeconds = forgetAfterSeconds
        lineCounts = Array(repeating: [:], count: lines.count)
    }

    public var isEmpty: Bool { zones.isEmpty && lines.isEmpty }

    /// Per zone, per class name: the tracks in it now.
    public var occupancy: [[String: Int]] {
        var result = Array(repeating: [String: Int](), count: zones.count)
        for track in tracks.values {
            for zone in track.visits.keys { result[zone][track.className ?? "class \(track.classID)", default: 0] += 1 }
        }
        return result
    }

    /// The published tracks of one frame of `width` x `height` pixels at `time` (seconds, the tracker's clock).
    /// Returns the events it decided, in a stable order.
    public func update(_ observations: [ZoneObservation], width: Int, height: Int, time: Double) -> [ZoneEvent] {
        guard !isEmpty else { return [] }
        var events: [ZoneEvent] = []
        let w = Double(width), h = Double(height)
        for observation in observations where observation.trackID >= 0 {
            var state =
                tracks[observation.trackID]
                ?? TrackState(
                    classID: observation.classID, className: observation.className, box: observation.box,
                    lastSeen: time)
            state.classID = observation.classID
            state.className = observation.className
            state.box = observation.box
            state.lastSeen = time
            for (index, zone) in zones.enumerated() where counts(zone.classes, observation.className) {
                let point = zone.anchor.point(of: observation.box, width: w, height: h)
                let inside = ZoneGeometry.contains(zone.polygon, point)
                let clear = ZoneGeometry.distanceToBoundary(zone.polygon, point) >= hysteresis
                if let visit = state.visits[index] {
                    if !inside && clear {
                        state.visits[index] = nil
                        events.append(event(.zoneExit, zone.name, observation, duration: time - visit.since))
                    } else if let dwell = zone.dwellSeconds, !visit.dwellSent, time - visit.since >= dwell {
                        state.visits[index] = (visit.since, true)
                        events.append(event(.dwell, zone.name, observation, duration: time - visit.since))
                    }
                } else if inside && clear {
                    state.visits[index] = (time, false)
                    events.append(event(.zoneEnter, zone.name, observation))
                }
            }
            for (index, line) in lines.enumerated() where counts(line.classes, observation.className) {
                let point = line.anchor.point(of: observation.box, width: w, height: h)
                let distance = ZoneGeometry.signedDistance(from: line.from, to: line.to, point)
                guard abs(distance) >= hysteresis else { continue }  // on the line: wait for a clear side
                let side = distance > 0 ? 1 : -1
                if let last = state.sides[index], last.side != side,
                    ZoneGeometry.intersection(last.point, point, line.from, line.to) != nil
                {
                    let direction: CrossingDirection = side > 0 ? .leftToRight : .rightToLeft
                    lineCounts[index][direction, default: [:]][
                        observation.className ?? "class \(observation.classID)", default: 0] += 1
                    var crossing = event(.lineCross, line.name, observation)
                    crossing.direction = direction
                    events.append(crossing)
                }
                state.sides[index] = (point, side)
            }
            tracks[observation.trackID] = state
        }
        // Tracks gone for longer than the lost buffer: their visits end where they were last seen.
        for (id, state) in tracks where time - state.lastSeen > forgetAfterSeconds {
            for (zone, visit) in state.visits.sorted(by: { $0.key < $1.key }) {
                events.append(
                    ZoneEvent(
                        kind: .zoneExit, name: zones[zone].name, trackID: id, classID: state.classID,
                        className: state.className, box: state.box, direction: nil,
                        durationSeconds: state.lastSeen - visit.since))
            }
            tracks[id] = nil
        }
        return events
    }

    private func counts(_ classes: [String], _ className: String?) -> Bool {
        classes.isEmpty || className.map(classes.contains) == true
    }

    private func event(
        _ kind: ZoneEvent.Kind, _ name: String, _ observation: ZoneObservation, duration: Double? = nil
    ) -> ZoneEvent {
        ZoneEvent(
            kind: kind, name: name, trackID: observation.trackID, classID: observation.classID,
            className: observation.className, box: observation.box, direction: nil, durationSeconds: duration)
    }
}
