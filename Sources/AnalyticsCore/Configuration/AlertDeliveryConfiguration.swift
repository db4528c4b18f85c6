import Foundation

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
