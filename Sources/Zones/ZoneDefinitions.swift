import Tracking

/// Which point of a track's box stands for its position.
public enum ZoneAnchor: String, Sendable, CaseIterable {
    /// The middle of the box's bottom edge: where a person or vehicle stands on the ground (the default).
    case bottomCentre = "bottom_centre"
    /// The middle of the box.
    case centre

    /// The anchor of `box` (frame pixels) in normalised coordinates.
    public func point(of box: Box, width: Double, height: Double) -> NormalizedPoint {
        let x = (box.x1 + box.x2) / 2 / max(width, 1)
        let y = (self == .bottomCentre ? box.y2 : (box.y1 + box.y2) / 2) / max(height, 1)
        return NormalizedPoint(x: x, y: y)
    }
}

/// A named area of a stream's picture: who is in it, who entered and left, who stayed.
public struct ZoneDefinition: Sendable, Equatable {
    public var name: String
    /// Corners in order around the zone, normalised (0...1).
    public var polygon: [NormalizedPoint]
    /// Class names that count; empty = every published class.
    public var classes: [String]
    /// A `dwell` event when a track stays this long in one visit; nil = none.
    public var dwellSeconds: Double?
    public var anchor: ZoneAnchor

    public init(
        name: String, polygon: [NormalizedPoint], classes: [String] = [], dwellSeconds: Double? = nil,
        anchor: ZoneAnchor = .bottomCentre
    ) {
        self.name = name
        self.polygon = polygon
        self.classes = classes
        self.dwellSeconds = dwellSeconds
        self.anchor = anchor
    }
}

/// A named counting line (a segment): tracks crossing it are counted per direction.
public struct LineDefinition: Sendable, Equatable {
    public var name: String
    public var from: NormalizedPoint
    public var to: NormalizedPoint
    public var classes: [String]
    public var anchor: ZoneAnchor

    public init(
        name: String, from: NormalizedPoint, to: NormalizedPoint, classes: [String] = [],
        anchor: ZoneAnchor = .bottomCentre
    ) {
        self.name = name
        self.from = from
        self.to = to
        self.classes = classes
        self.anchor = anchor
    }
}

/// Which way a track crossed a line, seen by someone walking along the line from its `from` to its `to` point on
/// the picture: from their left-hand side to their right-hand side, or back. (A line drawn from the top of the
/// picture to the bottom: `left_to_right` is a movement from the picture's right half to its left half.)
public enum CrossingDirection: String, Sendable, CaseIterable {
    case leftToRight = "left_to_right"
    case rightToLeft = "right_to_left"
}
