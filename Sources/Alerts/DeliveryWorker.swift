import Alerting
import AnalyticsCore
import Foundation
import Logging
import Messages
import ServiceLifecycle

/// Serves one lane of a delivery in order: each notification of a rule that uses the delivery, of an alert instance
/// in this lane, is sent, retried with exponential backoff, and after the last retry dead-lettered
/// (`alerts.dead_letter_topic`); then it is finished. A delivery has `concurrency` lanes, each instance always the
/// same one: a burst (30 cameras firing in the same second) goes out in parallel, each instance's notifications in
/// order.
/// A notification is never finished unsent: a worker stopped by a shutdown leaves the rest unfinished, and the
/// checkpoint stays before them, so the next start decides and sends them again.
struct DeliveryWorker<C: Clock>: Sendable where C.Duration == Duration {
    let index: Int
    let target: any NotificationTarget
    /// Rule names whose notifications go here; nil: every rule (the alerts topic).
    let rules: Set<String>?
    /// This worker's lane of `lanes`.
    let lane: Int
    let lanes: Int
    let retries: Int
    let backoff: Duration
    let maxBackoff: Duration
    /// Where notifications this delivery gave up on go; nil: never give up (the alerts topic itself).
    let deadLetters: DeadLetters<C>?
    let clock: C
    let wallClockMs: @Sendable () -> Int64
    let logger: Logger

    func run(
        _ queue: AsyncStream<NotificationDispatcher.Item>, dispatcher: NotificationDispatcher, status: AlertsStatus
    )
        async
    {
        for await item in queue {
            if rules?.contains(item.notification.rule) ?? true,
                Self.lane(of: item.notification.instance, lanes: lanes) == lane
            {
                guard await deliver(item, status: status) else { return }
            }
            dispatcher.finished(delivery: index, sequence: item.sequence)
            status.pending(dispatcher.pending)
        }
    }

    /// False when a shutdown stopped it before the notification was delivered or dead-lettered.
    private func deliver(_ item: NotificationDispatcher.Item, status: AlertsStatus) async -> Bool {
        var wait = backoff
        var attempt = 0
        while true {
            attempt += 1
            do {
                try await target.send(item.notification, body: item.body)
                status.delivery(target.name, result: "delivered", latencyMs: wallClockMs() - item.notification.at_ms)
                if attempt > 1 {
                    logger.info("alerts: \(target.name) delivered \(item.notification.id) at attempt \(attempt)")
                }
                return true
            } catch {
                status.delivery(target.name, result: "failed_attempt")
                let exhausted = error.permanent || (deadLetters != nil && attempt > retries)
                if exhausted, let deadLetters {
                    logger.error(
                        "alerts: \(target.name) gave up on \(item.notification.id) after \(attempt) attempts: \(error); dead-lettering it"
                    )
                    guard
                        await deadLetters.publish(
                            item.notification, delivery: target.name, attempts: attempt, error: error.description)
                    else { return false }
                    status.delivery(target.name, result: "dead_lettered")
                    return true
                }
                if Task.isShuttingDownGracefully || Task.isCancelled { return false }
                logger.warning(
                    "alerts: \(target.name) attempt \(attempt) for \(item.notification.id) failed: \(error); retrying in \(wait)"
                )
                guard await pause(wait) else { return false }
                wait = min(wait * 2, maxBackoff)
            }
        }
    }

    /// FNV-1a of the instance: the same lane for the same instance, spread evenly.
    static func lane(of instance: String, lanes: Int) -> Int {
        guard lanes > 1 else { return 0 }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in instance.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return Int(hash % UInt64(lanes))
    }

    private func pause(_ duration: Duration) async -> Bool {
        await AlertsPause.pause(duration, clock: clock)
    }
}

/// `alerts.dead_letter_topic`: what a delivery gave up on, with why; published until the broker acknowledges it.
struct DeadLetters<C: Clock>: Sendable where C.Duration == Duration {
    let topic: String
    let producer: AcknowledgedProducer<C>
    let clock: C
    let wallClockMs: @Sendable () -> Int64
    let status: AlertsStatus
    let logger: Logger

    struct Record: Encodable {
        var notification: AlertNotification
        var delivery: String
        var attempts: Int
        var error: String
        var dead_lettered_at_ms: Int64
    }

    /// False when a shutdown came first.
    func publish(_ notification: AlertNotification, delivery: String, attempts: Int, error: String) async -> Bool {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let record = Record(
            notification: notification, delivery: delivery, attempts: attempts, error: error,
            dead_lettered_at_ms: wallClockMs())
        let body = (try? Array(encoder.encode(record))) ?? []
        var wait = Duration.milliseconds(500)
        while true {
            do {
                try await producer.send(topic: topic, key: notification.instance, body: body)
                return true
            } catch {
                status.deadLetterFailed()
                logger.error("alerts: cannot dead-letter \(notification.id) on \(topic): \(error); retrying")
                guard await AlertsPause.pause(wait, clock: clock) else { return false }
                wait = min(wait * 2, .seconds(10))
            }
        }
    }
}

enum AlertsPause {
    /// Waits `duration`; false when the process is shutting down (then it returns at once).
    static func pause<C: Clock>(_ duration: Duration, clock: C) async -> Bool where C.Duration == Duration {
        let deadline = clock.now.advanced(by: duration)
        while clock.now < deadline {
            if Task.isShuttingDownGracefully || Task.isCancelled { return false }
            try? await clock.sleep(for: min(.milliseconds(100), clock.now.duration(to: deadline)))
        }
        return !(Task.isShuttingDownGracefully || Task.isCancelled)
    }
}
