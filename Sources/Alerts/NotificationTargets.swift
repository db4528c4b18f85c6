import Alerting
import AnalyticsCore
import AsyncHTTPClient
import Crypto
import Foundation
import Kafka
import Logging
import Messages
import NIOCore
import NIOHTTP1
import RuntimeSupport
import Synchronization

/// Where one delivery sends notifications: one attempt per call; `DeliveryWorker` retries and dead-letters.
protocol NotificationTarget: Sendable {
    var name: String { get }
    func send(_ notification: AlertNotification, body: [UInt8]) async throws(DeliveryAttemptError)
    /// Why the target cannot deliver now, when it cannot (for `/readyz`).
    var problem: String? { get }
    func close() async
}

/// Why one attempt failed; a permanent failure (e.g. HTTP 400) is dead-lettered without retrying.
struct DeliveryAttemptError: Error, CustomStringConvertible {
    var description: String
    var permanent = false
}

/// An HTTP(S) POST of the notification's JSON with `Idempotency-Key` (the notification id) and
/// `X-Signature-256: sha256=<hex HMAC-SHA256 of the body>` when a secret is set.
struct WebhookTarget: NotificationTarget {
    let name: String
    let webhook: AlertDelivery.Webhook
    let client: HTTPClient
    private let key: SymmetricKey?

    init(name: String, webhook: AlertDelivery.Webhook, client: HTTPClient) {
        self.name = name
        self.webhook = webhook
        self.client = client
        key = webhook.secret.map { SymmetricKey(data: Data($0.utf8)) }
    }

    /// `sha256=` and the lowercase hex HMAC-SHA256 of `body` under `secret`: what a receiver recomputes.
    static func signature(of body: [UInt8], key: SymmetricKey) -> String {
        "sha256=" + HMAC<SHA256>.authenticationCode(for: body, using: key).map { String(format: "%02x", $0) }.joined()
    }

    func send(_ notification: AlertNotification, body: [UInt8]) async throws(DeliveryAttemptError) {
        var request = HTTPClientRequest(url: webhook.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "realtime-analytics-alerts")
        request.headers.add(name: "Idempotency-Key", value: notification.id)
        if let key { request.headers.add(name: "X-Signature-256", value: Self.signature(of: body, key: key)) }
        for header in webhook.headers { request.headers.add(name: header.name, value: header.value) }
        request.body = .bytes(body)
        let status: UInt
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(webhook.timeoutMilliseconds)))
            status = response.status.code
            _ = try? await response.body.collect(upTo: 64 * 1024)
        } catch {
            throw DeliveryAttemptError(description: "POST \(webhook.url): \(Self.describe(error))")
        }
        switch status {
        case 200..<300: return
        case 408, 425, 429, 500..<600:
            throw DeliveryAttemptError(description: "POST \(webhook.url): HTTP \(status)")
        default:
            throw DeliveryAttemptError(
                description: "POST \(webhook.url): HTTP \(status) (the receiver refuses it; not retried)",
                permanent: true)
        }
    }

    var problem: String? { nil }

    func close() async {}

    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            if error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
                return "timed out"
            }
            return "\(error)"
        }
        let text = "\(error)"
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}

/// A QoS 1 (or as configured) MQTT publish of the notification's JSON on the instance's topic, retained: the
/// broker keeps each instance's latest state for subscribers that come later.
struct MQTTTarget<C: Clock>: NotificationTarget where C.Duration == Duration {
    let name: String
    let mqtt: AlertDelivery.MQTT
    let connection: MQTTConnection
    let clock: C
    /// How long a publish waits for the broker's acknowledgement before the attempt counts as failed.
    static var acknowledgementTimeout: Duration { .seconds(10) }

    func send(_ notification: AlertNotification, body: [UInt8]) async throws(DeliveryAttemptError) {
        let topic = AlertTextTemplate.render(
            mqtt.topic,
            [
                "stream": notification.stream, "rule": notification.rule,
                "zone": notification.zone ?? notification.line ?? "-",
            ])
        let messageID: Int32
        do {
            messageID = try connection.publish(topic: topic, payload: body, qos: mqtt.qos, retain: mqtt.retain)
        } catch {
            throw DeliveryAttemptError(description: error.description)
        }
        guard mqtt.qos > 0 else { return }
        let acknowledgements = connection.acknowledgements
        do {
            try await withTimeout(Self.acknowledgementTimeout, clock: clock) {
                try await acknowledgements.wait(for: messageID)
            }
        } catch {
            acknowledgements.forget(messageID)
            throw DeliveryAttemptError(
                description: "\(connection.address) did not acknowledge the publish to \(topic) within 10 s")
        }
    }

    var problem: String? { connection.problem.map { "MQTT \(connection.address): \($0)" } }

    func close() async {
        let connection = self.connection
        await runOnDedicatedThread(named: "mqtt close") { connection.close() }
    }
}

/// Every notification on `alerts.topic`, keyed by its instance; an attempt ends with the broker's acknowledgement.
struct AlertsTopicTarget<C: Clock>: NotificationTarget where C.Duration == Duration {
    let name = "kafka"
    let topic: String
    let producer: AcknowledgedProducer<C>

    func send(_ notification: AlertNotification, body: [UInt8]) async throws(DeliveryAttemptError) {
        try await producer.send(topic: topic, key: notification.instance, body: body)
    }

    var problem: String? { producer.problem }

    func close() async {}
}

/// A Kafka producer whose sends return once the broker acknowledged the message (delivery reports by tag).
final class AcknowledgedProducer<C: Clock>: Sendable where C.Duration == Duration {
    let producer: KafkaProducer
    private let acknowledgements: AcknowledgementWaiters<UInt64>
    private let nextTag = Mutex<UInt64>(1)
    private let clock: C
    /// librdkafka's own limit is `message.timeout.ms` (10 s here); an unacknowledged send fails a little after.
    static var acknowledgementTimeout: Duration { .seconds(12) }

    init(kafka: KafkaConfiguration, clock: C, logger: Logger) throws(KafkaError) {
        let acknowledgements = AcknowledgementWaiters<UInt64>()
        var properties = KafkaProperties([
            ("client.id", "realtime-analytics-alerts"),
            ("acks", "all"),
            ("enable.idempotence", "true"),
            ("linger.ms", "5"),
            ("message.timeout.ms", "10000"),
            ("reconnect.backoff.max.ms", "1000"),
        ])
        properties["bootstrap.servers"] = kafka.bootstrapServers
        for (key, value) in kafka.properties { properties[key] = value }
        producer = try KafkaProducer(
            properties: properties, logger: logger, onDelivered: { tag in acknowledgements.acknowledge(tag) })
        self.acknowledgements = acknowledgements
        self.clock = clock
    }

    func send(topic: String, key: String, body: [UInt8]) async throws(DeliveryAttemptError) {
        let tag = nextTag.withLock { tag in
            defer { tag += 1 }
            return tag
        }
        let outcome = body.withUnsafeBytes { bytes in
            producer.produce(
                topic: topic, key: key, value: bytes, headers: [("content-type", "application/json")], tag: tag)
        }
        guard outcome == .queued else {
            throw DeliveryAttemptError(description: "Kafka refused the message for \(topic): \(outcome)")
        }
        let acknowledgements = self.acknowledgements
        do {
            try await withTimeout(Self.acknowledgementTimeout, clock: clock) {
                try await acknowledgements.wait(for: tag)
            }
        } catch {
            acknowledgements.forget(tag)
            throw DeliveryAttemptError(
                description: "\(producer.bootstrapServers) did not acknowledge the message for \(topic) within 12 s")
        }
    }

    var problem: String? { producer.brokerStatus.problem.map { "Kafka: \($0)" } }

    func close() async {
        let producer = self.producer
        await runOnDedicatedThread(named: "alerts producer close") { producer.close(waitingAtMost: 5) }
    }
}
