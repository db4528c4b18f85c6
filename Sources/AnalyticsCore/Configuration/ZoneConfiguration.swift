import Zones

/// `zones:` and `lines:` of a stream entry (shared by every stream of a `count` group).
enum ZoneConfiguration {
    static let zoneKeys = ["name", "polygon", "classes", "dwell_s", "anchor"]
    static let lineKeys = ["name", "from", "to", "classes", "anchor"]

    /// `labels`: the model's class names, which `classes` must come from (nil: not checked).
    static func read(
        _ section: YAMLSection, labels: [String]?
    ) throws(ConfigurationError) -> (
        zones: [ZoneDefinition], lines: [LineDefinition]
    ) {
        var names: [String: String] = [:]
        func claim(_ name: String, at entry: YAMLSection) throws(ConfigurationError) {
            if let earlier = names[name] {
                throw entry.error(
                    "name", "'\(name)' is already used by \(earlier); zone and line names must be unique per stream")
            }
            names[name] = entry.path
        }
        var zones: [ZoneDefinition] = []
        for (node, path) in try section.sequence("zones") {
            let entry = try YAMLSection(node, path: path, file: section.file, allowedKeys: zoneKeys)
            let name = try entry.string("name", default: "")
            guard !name.isEmpty else { throw entry.error("name", "is missing; every zone needs a name") }
            try claim(name, at: entry)
            guard let polygon = try entry.points("polygon") else {
                throw entry.error(
                    "polygon", "is missing; give the corners in order, e.g. [[0.1, 0.5], [0.9, 0.5], [0.9, 0.9]]")
            }
            if let problem = ZoneGeometry.problem(with: polygon) { throw entry.error("polygon", problem) }
            zones.append(
                ZoneDefinition(
                    name: name, polygon: polygon, classes: try classes(entry, labels: labels),
                    dwellSeconds: try entry.optionalDouble("dwell_s", in: 0.1...86_400, unit: " s"),
                    anchor: try anchor(entry)))
        }
        var lines: [LineDefinition] = []
        for (node, path) in try section.sequence("lines") {
            let entry = try YAMLSection(node, path: path, file: section.file, allowedKeys: lineKeys)
            let name = try entry.string("name", default: "")
            guard !name.isEmpty else { throw entry.error("name", "is missing; every line needs a name") }
            try claim(name, at: entry)
            guard let from = try entry.point("from") else {
                throw entry.error("from", "is missing; e.g. from: [0.5, 0.3]")
            }
            guard let to = try entry.point("to") else { throw entry.error("to", "is missing; e.g. to: [0.5, 0.9]") }
            guard abs(from.x - to.x) + abs(from.y - to.y) > 0.001 else {
                throw entry.error("to", "is where the line starts (\(from)); a line needs two different ends")
            }
            lines.append(
                LineDefinition(
                    name: name, from: from, to: to, classes: try classes(entry, labels: labels),
                    anchor: try anchor(entry)))
        }
        return (zones, lines)
    }

    private static func classes(_ entry: YAMLSection, labels: [String]?) throws(ConfigurationError) -> [String] {
        let classes = try entry.stringList("classes")
        guard let labels else { return classes }
        for name in classes where !labels.contains(name) {
            throw entry.error("classes", COCOLabels.unknownClass(name, in: labels))
        }
        return classes
    }

    private static func anchor(_ entry: YAMLSection) throws(ConfigurationError) -> ZoneAnchor {
        let name = try entry.string("anchor", default: ZoneAnchor.bottomCentre.rawValue)
        guard let anchor = ZoneAnchor(rawValue: name) else {
            throw entry.error("anchor", "got '\(name)'; allowed: bottom_centre (where an object stands) or centre")
        }
        return anchor
    }
}
