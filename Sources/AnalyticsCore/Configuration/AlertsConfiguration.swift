import Foundation

/// `alerts:` — the alerts process (`realtime-analytics alerts`): rules over the frames topic, and where their
/// notifications go (docs/alerts.md).
public struct AlertsConfiguration: Sendable, Equatable {
    /// Every notification is published here, keyed by its alert instance (the dashboard reads it).
    public var topic = "analytics.alerts"
    /// A notification a webhook or MQTT delivery gave up on, with the delivery's name and last error.
    public var deadLetterTopic = "analytics.alerts.dead-letter"
    /// The checkpoint: the rules' state and the frames topic's offsets, written once every notification before it is
    /// delivered or dead-lettered. Nil: `../var/alerts-state.json` beside the file.
    public var statePath: String
    /// Where reading starts when there is no checkpoint.
    public var startAtOldest = false
    /// Most notifications waiting for their deliveries before reading pauses (back-pressure, counted).
    public var maxPending = 10_000
    /// How often the rules' state is taken for a checkpoint.
    public var checkpointIntervalMilliseconds = 1000
    public var host = "127.0.0.1"
    public var port = 9466
    public var statusIntervalSeconds: Double = 5
    public var deliveries: [AlertDelivery] = []
    public var rules: [AlertRule] = []

    public init(baseDirectory: String = ".") {
        statePath =
            URL(fileURLWithPath: "../var/alerts-state.json", relativeTo: URL(fileURLWithPath: baseDirectory))
            .standardizedFileURL.path
    }

    public static let keys = [
        "topic", "dead_letter_topic", "state_path", "start_at", "max_pending", "checkpoint_interval_ms", "host", "port",
        "status_interval_s", "deliveries", "rules",
    ]

    /// `streams`: the configured streams (their zones and lines are checked against the rules); empty: not checked.
    public init(
        _ section: YAMLSection, baseDirectory: String, streams: [StreamConfiguration]
    ) throws(ConfigurationError) {
        self.init(baseDirectory: baseDirectory)
        topic = try section.string("topic", default: topic)
        deadLetterTopic = try section.string("dead_letter_topic", default: deadLetterTopic)
        if let path = try section.optionalString("state_path") {
            statePath =
                URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: baseDirectory, isDirectory: true))
                .standardizedFileURL.path
        }
        let startAt = try section.string("start_at", default: "newest")
        guard startAt == "oldest" || startAt == "newest" else {
            throw section.error("start_at", "got '\(startAt)'; allowed: newest or oldest")
        }
        startAtOldest = startAt == "oldest"
        maxPending = try section.int("max_pending", default: maxPending, in: 1...1_000_000)
        checkpointIntervalMilliseconds = try section.int(
            "checkpoint_interval_ms", default: checkpointIntervalMilliseconds, in: 100...60_000, unit: " ms")
        host = try section.string("host", default: host)
        port = try section.int("port", default: port, in: 1...65535)
        statusIntervalSeconds = try section.double(
            "status_interval_s", default: statusIntervalSeconds, in: 0.5...3600, unit: " s")
        for (node, path) in try section.sequence("deliveries") {
            let entry = try YAMLSection(node, path: path, file: section.file, allowedKeys: AlertDelivery.keys)
            let delivery = try AlertDelivery(entry)
            if let earlier = deliveries.firstIndex(where: { $0.name == delivery.name }) {
                throw entry.error(
                    "name", "'\(delivery.name)' is already used by alerts.deliveries[\(earlier)]; names must be unique")
            }
            deliveries.append(delivery)
        }
        for (node, path) in try section.sequence("rules") {
            let entry = try YAMLSection(node, path: path, file: section.file, allowedKeys: AlertRule.keys)
            let rule = try AlertRule(entry, deliveries: deliveries.map(\.name), streams: streams)
            if let earlier = rules.firstIndex(where: { $0.name == rule.name }) {
                throw entry.error(
                    "name", "'\(rule.name)' is already used by alerts.rules[\(earlier)]; rule names must be unique")
            }
            rules.append(rule)
        }
    }
}

/// Where notifications are sent (besides `alerts.topic`, which gets every one).
public struct AlertDelivery: Sendable, Equatable {
    public enum Target: Sendable, Equatable {
        case webhook(Webhook)
        case mqtt(MQTT)
    }

    public struct Webhook: Sendable, Equatable {
        /// http:// or https://.
        public var url: String
        /// The HMAC-SHA256 key of the `X-Signature-256` header; nil: no signature.
        public var secret: String?
        public var headers: [(name: String, value: String)] = []
        public var timeoutMilliseconds = 5000

        public static func == (a: Webhook, b: Webhook) -> Bool {
            a.url == b.url && a.secret == b.secret && a.timeoutMilliseconds == b.timeoutMilliseconds
                && a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value)
        }
    }

    public struct MQTT: Sendable, Equatable {
        public var host: String
        public var port = 1883
        /// `{stream}`, `{rule}`, `{zone}` (the zone's or line's name, `-` for none) are replaced.
        public var topic = "realtime-analytics/alerts/{stream}/{rule}"
        public var qos = 1
        public var retain = true
        public var clientID: String?
        public var username: String?
        public var password: String?
        public var keepaliveSeconds = 30
    }

    public var name: String
    public var target: Target
    /// Attempts after the first before the notification is dead-lettered.
    public var retries = 5
    /// The first retry's wait; each next one doubles, up to `maxBackoffMilliseconds`.
    public var backoffMilliseconds = 500
    public var maxBackoffMilliseconds = 30_000
    /// Notifications in flight at once (each alert instance's stay in order: an instance always takes one lane).
    public var concurrency = 8

    public init(name: String, target: Target) {
        self.name = name
        self.target = target
    }

    public static let keys = [
        "name", "type", "url", "secret", "secret_env", "headers", "timeout_ms", "retries", "backoff_ms",
        "max_backoff_ms", "concurrency", "host", "port", "topic", "qos", "retain", "client_id", "username",
        "password_env",
        "keepalive_s",
    ]
    static let webhookKeys: Set<String> = ["url", "secret", "secret_env", "headers", "timeout_ms"]
    static let mqttKeys: Set<String> = [
        "host", "port", "topic", "qos", "retain", "client_id", "username", "password_env", "keepalive_s",
    ]

    init(_ entry: YAMLSection) throws(ConfigurationError) {
        name = try entry.string("name", default: "")
        guard !name.isEmpty else { throw entry.error("name", "is missing; every delivery needs a name") }
        let type = try entry.string("type", default: "")
        let foreign: Set<String>
        switch type {
        case "webhook":
            guard let url = try entry.optionalString("url") else {
                throw entry.error("url", "is missing; a webhook needs e.g. url: https://example.com/hooks/alerts")
            }
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil
            else {
                throw entry.error("url", "got '\(url)'; allowed: an http:// or https:// URL with a host")
            }
            var webhook = Webhook(url: url)
            webhook.secret = try entry.optionalString("secret")
            if let variable = try entry.optionalString("secret_env") {
                guard webhook.secret == nil else {
                    throw entry.error("secret_env", "and secret are both set; keep one")
                }
                guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else {
                    throw entry.error(
                        "secret_env", "names '\(variable)', which is not set; export it or give secret: instead")
                }
                webhook.secret = value
            }
            webhook.headers = try entry.scalarMapping("headers").map { ($0.key, $0.value) }
            for header in webhook.headers
            where ["content-type", "idempotency-key", "x-signature-256"].contains(header.name.lowercased()) {
                throw entry.error("headers", "'\(header.name)' is set by the delivery itself; remove it")
            }
            webhook.timeoutMilliseconds = try entry.int(
                "timeout_ms", default: webhook.timeoutMilliseconds, in: 100...120_000, unit: " ms")
            target = .webhook(webhook)
            foreign = Self.mqttKeys
        case "mqtt":
            guard let host = try entry.optionalString("host") else {
                throw entry.error("host", "is missing; an MQTT delivery needs its broker, e.g. host: 127.0.0.1")
            }
            var mqtt = MQTT(host: host)
            mqtt.port = try entry.int("port", default: mqtt.port, in: 1...65535)
            mqtt.topic = try entry.string("topic", default: mqtt.topic)
            if let problem = AlertTopicTemplate.problem(mqtt.topic) { throw entry.error("topic", problem) }
            mqtt.qos = try entry.int("qos", default: mqtt.qos, in: 0...2)
            mqtt.retain = try entry.bool("retain", default: mqtt.retain)
            mqtt.clientID = try entry.optionalString("client_id")
            mqtt.username = try entry.optionalString("username")
            if let variable = try entry.optionalString("password_env") {
                guard let value = ProcessInfo.processInfo.environment[variable] else {
                    throw entry.error("password_env", "names '\(variable)', which is not set; export it")
                }
                mqtt.password = value
            }
            mqtt.keepaliveSeconds = try entry.int(
                "keepalive_s", default: mqtt.keepaliveSeconds, in: 5...3600, unit: " s")
            target = .mqtt(mqtt)
            foreign = Self.webhookKeys
        case "":
            throw entry.error("type", "is missing; allowed: webhook or mqtt")
        default:
            throw entry.error("type", "got '\(type)'; allowed: webhook or mqtt")
        }
        for key in foreign.sorted() where entry.has(key) {
            throw entry.error(key, "does not apply to a \(type) delivery; remove it")
        }
        retries = try entry.int("retries", default: retries, in: 0...100)
        backoffMilliseconds = try entry.int("backoff_ms", default: backoffMilliseconds, in: 1...600_000, unit: " ms")
        maxBackoffMilliseconds = try entry.int(
            "max_backoff_ms", default: maxBackoffMilliseconds, in: 1...3_600_000, unit: " ms")
        concurrency = try entry.int("concurrency", default: concurrency, in: 1...64)
        guard maxBackoffMilliseconds >= backoffMilliseconds else {
            throw entry.error(
                "max_backoff_ms", "(\(maxBackoffMilliseconds)) is below backoff_ms (\(backoffMilliseconds)); raise it")
        }
    }
}

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

/// Stream ids or shell-style patterns (`*`, `?`).
public enum StreamPattern {
    public static func matches(_ pattern: String, _ id: String) -> Bool {
        fnmatch(pattern, id, 0) == 0
    }
}

/// `HH:MM-HH:MM` in a time zone; the end is excluded, and a start after the end wraps midnight.
public struct AlertSchedule: Sendable, Equatable {
    public var startMinute: Int
    public var endMinute: Int
    public var timeZone: String

    public init?(_ text: String, timeZone: String) {
        let parts = text.split(separator: "-").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let start = Self.minute(parts[0]), let end = Self.minute(parts[1]), start != end else {
            return nil
        }
        startMinute = start
        endMinute = end
        self.timeZone = timeZone
    }

    private static func minute(_ text: String) -> Int? {
        let fields = text.split(separator: ":")
        guard fields.count == 2, fields[1].count == 2, let hour = Int(fields[0]), let minute = Int(fields[1]),
            (0...24).contains(hour), (0...59).contains(minute), hour * 60 + minute <= 1440
        else { return nil }
        return hour * 60 + minute
    }

    /// Whether `milliseconds` since the epoch falls in the schedule.
    public func contains(milliseconds: Int64) -> Bool {
        let zone = TimeZone(identifier: timeZone) ?? TimeZone(secondsFromGMT: 0)!
        let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        let seconds = Int(floor(date.timeIntervalSince1970)) + zone.secondsFromGMT(for: date)
        let minute = ((seconds / 60) % 1440 + 1440) % 1440
        return startMinute < endMinute
            ? (minute >= startMinute && minute < endMinute) : (minute >= startMinute || minute < endMinute)
    }
}

/// The placeholders a rule's `text` may use.
public enum AlertTextTemplate {
    public static let placeholders = [
        "rule", "stream", "zone", "line", "value", "state", "severity", "for_s", "min_count", "window_s", "min_s",
    ]

    static func problem(_ text: String) -> String? {
        for name in names(in: text) where !placeholders.contains(name) {
            return "uses {\(name)}; allowed placeholders: \(placeholders.map { "{\($0)}" }.joined(separator: ", "))"
        }
        return nil
    }

    static func names(in text: String) -> [String] {
        var names: [String] = []
        var rest = text[...]
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            names.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }

    /// `text` with each `{name}` replaced by `values[name]` (unknown names stay as written).
    public static func render(_ text: String, _ values: [String: String]) -> String {
        var result = ""
        var rest = text[...]
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            result += rest[..<open]
            let name = String(rest[rest.index(after: open)..<close])
            result += values[name] ?? "{\(name)}"
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }
}

/// An MQTT topic template: `{stream}`, `{rule}` and `{zone}` only, and no MQTT wildcard.
public enum AlertTopicTemplate {
    static func problem(_ topic: String) -> String? {
        if topic.contains("#") || topic.contains("+") {
            return "'\(topic)' contains an MQTT wildcard (# or +); a publish topic cannot"
        }
        for name in AlertTextTemplate.names(in: topic) where !["stream", "rule", "zone"].contains(name) {
            return "uses {\(name)}; allowed placeholders: {stream}, {rule}, {zone}"
        }
        return nil
    }
}
