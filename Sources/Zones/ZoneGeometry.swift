/// A point in frame-normalised coordinates: (0, 0) is the top-left corner, (1, 1) the bottom-right, so zones drawn
/// once survive a change of resolution.
public struct NormalizedPoint: Sendable, Equatable, CustomStringConvertible {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }

    public var description: String { "[\(x), \(y)]" }

    static func - (a: NormalizedPoint, b: NormalizedPoint) -> NormalizedPoint { .init(x: a.x - b.x, y: a.y - b.y) }
}

/// Planar geometry for zones and lines (polygons and segments in normalised coordinates).
public enum ZoneGeometry {
    /// z of the cross product (b − a) × (p − a): positive when p is to the right of a→b as the image is drawn
    /// (y grows downwards), i.e. to the right of someone walking from a to b on the picture.
    static func cross(_ a: NormalizedPoint, _ b: NormalizedPoint, _ p: NormalizedPoint) -> Double {
        let ab = b - a, ap = p - a
        return ab.x * ap.y - ab.y * ap.x
    }

    static func length(_ v: NormalizedPoint) -> Double { (v.x * v.x + v.y * v.y).squareRoot() }

    /// Signed distance of `p` from the infinite line through a→b: positive on its right (see `cross`).
    static func signedDistance(from a: NormalizedPoint, to b: NormalizedPoint, _ p: NormalizedPoint) -> Double {
        cross(a, b, p) / max(length(b - a), 1e-12)
    }

    /// Distance from `p` to the segment a–b.
    static func distance(_ p: NormalizedPoint, toSegment a: NormalizedPoint, _ b: NormalizedPoint) -> Double {
        let ab = b - a, ap = p - a
        let squared = ab.x * ab.x + ab.y * ab.y
        let t = squared > 0 ? min(1, max(0, (ap.x * ab.x + ap.y * ab.y) / squared)) : 0
        return length(NormalizedPoint(x: ap.x - t * ab.x, y: ap.y - t * ab.y))
    }

    /// Whether `p` lies inside `polygon` (even-odd rule; points exactly on an edge may fall either way).
    public static func contains(_ polygon: [NormalizedPoint], _ p: NormalizedPoint) -> Bool {
        var inside = false
        var j = polygon.count - 1
        for i in 0..<polygon.count {
            let a = polygon[i], b = polygon[j]
            if (a.y > p.y) != (b.y > p.y), p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x {
                inside.toggle()
            }
            j = i
        }
        return inside
    }

    /// Distance from `p` to the nearest edge of `polygon`.
    static func distanceToBoundary(_ polygon: [NormalizedPoint], _ p: NormalizedPoint) -> Double {
        var best = Double.infinity
        for i in 0..<polygon.count {
            best = min(best, distance(p, toSegment: polygon[i], polygon[(i + 1) % polygon.count]))
        }
        return best
    }

    /// Where the segments p→q and a→b meet, as fractions along each (0...1 both), or nil when they do not.
    static func intersection(
        _ p: NormalizedPoint, _ q: NormalizedPoint, _ a: NormalizedPoint, _ b: NormalizedPoint
    ) -> (alongPath: Double, alongLine: Double)? {
        let r = q - p, s = b - a
        let denominator = r.x * s.y - r.y * s.x
        guard abs(denominator) > 1e-15 else { return nil }  // parallel
        let ap = a - p
        let t = (ap.x * s.y - ap.y * s.x) / denominator
        let u = (ap.x * r.y - ap.y * r.x) / denominator
        guard (0...1).contains(t), (0...1).contains(u) else { return nil }
        return (t, u)
    }

    /// Whether two segments share a point (crossing, touching or overlapping).
    static func segmentsTouch(
        _ a: NormalizedPoint, _ b: NormalizedPoint, _ c: NormalizedPoint, _ d: NormalizedPoint
    ) -> Bool {
        let d1 = cross(c, d, a), d2 = cross(c, d, b), d3 = cross(a, b, c), d4 = cross(a, b, d)
        if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) { return true }
        func onSegment(_ p: NormalizedPoint, _ q: NormalizedPoint, _ r: NormalizedPoint) -> Bool {
            min(p.x, q.x) - 1e-12 <= r.x && r.x <= max(p.x, q.x) + 1e-12 && min(p.y, q.y) - 1e-12 <= r.y
                && r.y <= max(p.y, q.y) + 1e-12
        }
        return (abs(d1) < 1e-15 && onSegment(c, d, a)) || (abs(d2) < 1e-15 && onSegment(c, d, b))
            || (abs(d3) < 1e-15 && onSegment(a, b, c)) || (abs(d4) < 1e-15 && onSegment(a, b, d))
    }

    /// Why `polygon` is not a simple polygon (fewer than 3 corners, a zero area, edges that cross), or nil.
    public static func problem(with polygon: [NormalizedPoint]) -> String? {
        guard polygon.count >= 3 else { return "has \(polygon.count) corners; a polygon needs at least 3" }
        let n = polygon.count
        for i in 0..<n {
            for j in (i + 1)..<n {
                // Adjacent edges share a corner; every other pair must not touch.
                if j == i + 1 || (i == 0 && j == n - 1) { continue }
                if segmentsTouch(polygon[i], polygon[(i + 1) % n], polygon[j], polygon[(j + 1) % n]) {
                    return "edges \(i + 1) and \(j + 1) cross; list the corners in order around the zone"
                }
            }
        }
        var twiceArea = 0.0
        for i in 0..<polygon.count {
            let a = polygon[i], b = polygon[(i + 1) % polygon.count]
            twiceArea += a.x * b.y - b.x * a.y
        }
        guard abs(twiceArea) > 1e-9 else { return "has no area (its corners are on one line)" }
        return nil
    }
}
