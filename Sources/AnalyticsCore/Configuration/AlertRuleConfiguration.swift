import Foundation

/// One rule of `alerts.rules`.
public struct AlertRule: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// A zone holds at least `minCount` objects of `classes` for at least `forSeconds`.
        case occupancy
        /// An object of `classes` stays in a zone for at least `minSeconds`.
        case dwell
        /// At least `minCount` crossings of a line (`direction`, `classes`) within `windowSeconds`.
        case crossings
        /// Any object of `classes` in a zone while `schedule` says so.
        case presence
        /// A stream publishes nothing for `forSeconds`.
        case streamDown = "stream_down"
    }

    public enum Severity: String, Sendable, CaseIterable {
        case info, warning, critical
    }

    public var name: String
    public var kind: Kind
    /// Stream ids or shell patterns (`vtest-*`); every stream when empty.
    public var streams: [String] = []
    public var zone: String?
    public var line: String?
    /// Class names; every class when empty.
    public var classes: [String] = []
    public var minCount = 1
    public var forSeconds: Double = 0
    public var minSeconds: Double = 0
    public var windowSeconds: Double = 0
    /// `any`, `left_to_right` or `right_to_left`.
    public var direction = "any"
    public var schedule: AlertSchedule?
    /// Re-notify every this many seconds while firing; 0: never.
    public var repeatSeconds: Double = 0
    public var severity = Severity.warning
    public var text: String
    /// Names of `alerts.deliveries`; the alerts topic gets every notification regardless.
    public var deliveries: [String] = []

    public init(name: String, kind: Kind, text: String? = nil) {
        self.name = name
        self.kind = kind
        self.text = text ?? Self.defaultText(kind)
    }

    public static let keys = [
        "name", "type", "streams", "zone", "line", "classes", "min_count", "for_s", "min_s", "window_s", "direction",
        "schedule", "timezone", "repeat_s", "severity", "text", "deliveries",
    ]

    /// The keys each kind reads (besides the common ones).
    static let kindKeys: [Kind: Set<String>] = [
        .occupancy: ["zone", "classes", "min_count", "for_s"],
        .dwell: ["zone", "classes", "min_s", "min_count"],
        .crossings: ["line", "classes", "min_count", "window_s", "direction", "for_s"],
        .presence: ["zone", "classes", "schedule", "timezone", "for_s"],
        .streamDown: ["for_s"],
    ]
    static let optionalKeys: Set<String> = [
        "zone", "line", "classes", "min_count", "for_s", "min_s", "window_s", "direction", "schedule", "timezone",
    ]

    static func defaultText(_ kind: Kind) -> String {
        switch kind {
        case .occupancy: "{value} objects in {zone} on {stream} ({rule})"
        case .dwell: "{value} objects stayed in {zone} on {stream} ({rule})"
        case .crossings: "{value} crossings of {line} on {stream} ({rule})"
        case .presence: "{value} objects in {zone} on {stream} during its schedule ({rule})"
        case .streamDown: "{stream} published nothing for {for_s} s ({rule})"
        }
    }

    init(_ entry: YAMLSection, deliveries known: [String], streams: [StreamConfiguration]) throws(ConfigurationError) {
        let name = try entry.string("name", default: "")
        guard !name.isEmpty else { throw entry.error("name", "is missing; every rule needs a name") }
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }), name.allSatisfy(\.isASCII) else {
            throw entry.error(
                "name", "got '\(name)'; allowed: letters, digits, '-', '_' and '.' (it appears in ids and MQTT topics)")
        }
        let typeName = try entry.string("type", default: "")
        guard let kind = Kind(rawValue: typeName) else {
            throw entry.error(
                "type",
                "\(typeName.isEmpty ? "is missing" : "got '\(typeName)'"); allowed: \(Kind.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        self.init(name: name, kind: kind)
        let used = Self.kindKeys[kind] ?? []
        for key in Self.optionalKeys.subtracting(used).sorted() where entry.has(key) {
            throw entry.error(key, "does not apply to \(kind.rawValue) rules; remove it")
        }
        self.streams = try entry.stringList("streams")
        classes = try entry.stringList("classes")
        minCount = try entry.int("min_count", default: 1, in: 1...10_000)
        forSeconds = try entry.double("for_s", default: 0, in: 0...86_400, unit: " s")
        repeatSeconds = try entry.double("repeat_s", default: 0, in: 0...604_800, unit: " s")
        if repeatSeconds > 0 && repeatSeconds < 1 {
            throw entry.error("repeat_s", "got \(repeatSeconds); allowed: 0 (never) or at least 1 s")
        }
        let severityName = try entry.string("severity", default: Severity.warning.rawValue)
        guard let severity = Severity(rawValue: severityName) else {
            throw entry.error("severity", "got '\(severityName)'; allowed: info, warning or critical")
        }
        self.severity = severity
        switch kind {
        case .occupancy, .dwell, .presence:
            guard let zone = try entry.optionalString("zone") else {
                throw entry.error("zone", "is missing; a \(kind.rawValue) rule watches one zone, e.g. zone: path")
            }
            self.zone = zone
            try Self.check(name: zone, kind: "zone", of: self.streams, in: streams, at: entry, key: "zone") {
                $0.zones.map(\.name)
            }
        case .crossings:
            guard let line = try entry.optionalString("line") else {
                throw entry.error("line", "is missing; a crossings rule counts one line, e.g. line: gate")
            }
            self.line = line
            try Self.check(name: line, kind: "line", of: self.streams, in: streams, at: entry, key: "line") {
                $0.lines.map(\.name)
            }
        case .streamDown:
            break
        }
        switch kind {
        case .dwell:
            guard let minimum = try entry.optionalDouble("min_s", in: 0.1...86_400, unit: " s") else {
                throw entry.error("min_s", "is missing; how long an object must stay, e.g. min_s: 60")
            }
            minSeconds = minimum
        case .crossings:
            guard let window = try entry.optionalDouble("window_s", in: 1...86_400, unit: " s") else {
                throw entry.error("window_s", "is missing; the window the crossings are counted in, e.g. window_s: 60")
            }
            windowSeconds = window
            direction = try entry.string("direction", default: "any")
            guard ["any", "left_to_right", "right_to_left"].contains(direction) else {
                throw entry.error("direction", "got '\(direction)'; allowed: any, left_to_right or right_to_left")
            }
        case .presence:
            guard let text = try entry.optionalString("schedule") else {
                throw entry.error(
                    "schedule", "is missing; when objects are not expected, e.g. schedule: \"22:00-06:00\"")
            }
            let zoneName = try entry.string("timezone", default: "UTC")
            guard TimeZone(identifier: zoneName) != nil else {
                throw entry.error(
                    "timezone", "got '\(zoneName)'; allowed: an IANA time zone, e.g. Europe/Berlin or UTC")
            }
            guard let schedule = AlertSchedule(text, timeZone: zoneName) else {
                throw entry.error(
                    "schedule", "got '\(text)'; allowed: HH:MM-HH:MM (24 h, may wrap midnight), e.g. \"22:00-06:00\"")
            }
            self.schedule = schedule
        case .streamDown:
            guard forSeconds >= 1 else {
                throw entry.error(
                    "for_s",
                    "is \(entry.has("for_s") ? "below 1 s" : "missing"); how long a stream may be silent, e.g. for_s: 30"
                )
            }
        case .occupancy:
            break
        }
        text = try entry.string("text", default: Self.defaultText(kind))
        if let problem = AlertTextTemplate.problem(text) { throw entry.error("text", problem) }
        deliveries = try entry.stringList("deliveries")
        for delivery in deliveries where !known.contains(delivery) {
            throw entry.error(
                "deliveries",
                "names '\(delivery)', which alerts.deliveries does not define\(known.isEmpty ? "" : " (defined: \(known.joined(separator: ", ")))"); add it there or fix the name"
            )
        }
    }

    /// A typo in a zone or line name would make a rule that never fires: when streams are configured, one of the
    /// streams the rule watches must have it.
    private static func check(
        name: String, kind: String, of patterns: [String], in streams: [StreamConfiguration], at entry: YAMLSection,
        key: String, names: (StreamConfiguration) -> [String]
    ) throws(ConfigurationError) {
        let watched = streams.filter { stream in
            patterns.isEmpty || patterns.contains { StreamPattern.matches($0, stream.id) }
        }
        guard !streams.isEmpty else { return }
        guard !watched.isEmpty else {
            throw entry.error(
                "streams",
                "matches none of the configured streams (\(streams.prefix(3).map(\.id).joined(separator: ", "))…); fix the ids or patterns"
            )
        }
        let available = Set(watched.flatMap(names))
        guard available.contains(name) else {
            let list = available.isEmpty ? "none" : available.sorted().joined(separator: ", ")
            throw entry.error(
                key,
                "'\(name)': no stream this rule watches has a \(kind) of that name (\(kind)s there: \(list)); fix the name"
            )
        }
    }
}
