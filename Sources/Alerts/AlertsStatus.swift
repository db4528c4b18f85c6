import Alerting
import Foundation
import Kafka
import Messages
import Metrics
import Synchronization

/// What the alerts process has done, shared by its loops, the status line, `/readyz` and `/metrics`.
public final class AlertsStatus: Sendable {
    struct Totals {
        var frames = 0
        var malformed = 0
        var firing = 0
        var repeats = 0
        var resolved = 0
        var delivered: [String: Int] = [:]
        var deadLettered: [String: Int] = [:]
        var failedAttempts = 0
        var checkpointProblem: String?
        var checkpoints = 0
    }

    private let totals = Mutex(Totals())
    private let lastReported = Mutex(Totals())
    private let consumer = Mutex<KafkaConsumer?>(nil)
    private let targets = Mutex<[any NotificationTarget]>([])
    private let lastCheckpointMs = Atomic<Int64>(0)

    private let framesCounter = Counter(label: "alerts_frames_total", dimensions: [("result", "frame")])
    private let malformedCounter = Counter(label: "alerts_frames_total", dimensions: [("result", "malformed")])
    private let notificationCounters = Mutex<[String: Counter]>([:])
    private let deliveryCounters = Mutex<[String: Counter]>([:])
    private let latencyTimers = Mutex<[String: Timer]>([:])
    private let firingGauge = Gauge(label: "alerts_firing")
    private let pendingGauge = Gauge(label: "alerts_pending_notifications")
    private let lagGauge = Gauge(label: "alerts_lag_messages")
    private let backpressure = Counter(label: "alerts_backpressure_waits_total")
    private let checkpointCounter = Counter(label: "alerts_checkpoints_total")
    private let checkpointFailures = Counter(label: "alerts_checkpoint_failures_total")
    private let deadLetterFailures = Counter(label: "alerts_dead_letter_failures_total")

    init() {}

    func attach(_ consumer: KafkaConsumer, targets: [any NotificationTarget]) {
        self.consumer.withLock { $0 = consumer }
        self.targets.withLock { $0 = targets }
    }

    func frame() {
        totals.withLock { $0.frames += 1 }
        framesCounter.increment()
    }

    func malformed() {
        totals.withLock { $0.malformed += 1 }
        malformedCounter.increment()
    }

    func decided(_ notification: AlertNotification, firingNow: Int) {
        let state = notification.state == .resolved ? "resolved" : (notification.repeat > 0 ? "repeat" : "firing")
        totals.withLock {
            switch state {
            case "resolved": $0.resolved += 1
            case "repeat": $0.repeats += 1
            default: $0.firing += 1
            }
        }
        counter(notificationCounters, "alerts_notifications_total", [("rule", notification.rule), ("state", state)])
            .increment()
        firingGauge.record(firingNow)
    }

    /// A delivery finished one notification: `delivered`, `dead_lettered` or `failed_attempt` (one retry).
    func delivery(_ name: String, result: String, latencyMs: Int64? = nil) {
        totals.withLock {
            switch result {
            case "delivered": $0.delivered[name, default: 0] += 1
            case "dead_lettered": $0.deadLettered[name, default: 0] += 1
            default: $0.failedAttempts += 1
            }
        }
        counter(deliveryCounters, "alerts_deliveries_total", [("delivery", name), ("result", result)]).increment()
        if let latencyMs, latencyMs >= 0 {
            let timer = latencyTimers.withLock { timers in
                if let timer = timers[name] { return timer }
                let timer = Timer(label: "alerts_delivery_latency_seconds", dimensions: [("delivery", name)])
                timers[name] = timer
                return timer
            }
            timer.recordMilliseconds(latencyMs)
        }
    }

    func deadLetterFailed() { deadLetterFailures.increment() }

    func waitedForRoom() { backpressure.increment() }

    func pending(_ count: Int) { pendingGauge.record(count) }

    func checkpointed(atMs: Int64) {
        lastCheckpointMs.store(atMs, ordering: .relaxed)
        totals.withLock {
            $0.checkpoints += 1
            $0.checkpointProblem = nil
        }
        checkpointCounter.increment()
    }

    func checkpointFailed(_ problem: String) {
        totals.withLock { $0.checkpointProblem = problem }
        checkpointFailures.increment()
    }

    private func counter(
        _ table: borrowing Mutex<[String: Counter]>, _ label: String, _ dimensions: [(String, String)]
    ) -> Counter {
        let key = dimensions.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
        return table.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(label: label, dimensions: dimensions)
            counters[key] = counter
            return counter
        }
    }

    /// One status line: what happened since the previous one.
    func statusLine(intervalSeconds: Double, pending: Int, firing: Int, nowMs: Int64) -> String {
        let now = totals.withLock { $0 }
        let before = lastReported.withLock { last in
            defer { last = now }
            return last
        }
        let lag = consumer.withLock { $0 }?.lag
        lagGauge.record(lag ?? 0)
        let rate = Double(now.frames - before.frames) / intervalSeconds
        let delivered = now.delivered.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let dead = now.deadLettered.values.reduce(0, +)
        let last = lastCheckpointMs.load(ordering: .relaxed)
        var line =
            "alerts: \(String(format: "%.0f", rate)) frames/s (\(now.frames) read, \(now.malformed) malformed), lag \(lag.map(String.init) ?? "?"), \(firing) firing; notified \(now.firing) firing, \(now.repeats) repeats, \(now.resolved) resolved; delivered \(delivered.isEmpty ? "nothing yet" : delivered); \(dead) dead-lettered, \(now.failedAttempts) failed attempts, \(pending) waiting"
        line +=
            last > 0
            ? "; checkpoint \(String(format: "%.1f", Double(nowMs - last) / 1000)) s old" : "; no checkpoint yet"
        if let problem = now.checkpointProblem { line += " (\(problem))" }
        return line
    }

    public func readiness() -> ReadinessReport {
        var problems: [String] = []
        if let consumer = consumer.withLock({ $0 }) {
            if let problem = consumer.brokerStatus.problem { problems.append("kafka: \(problem)") }
            if (consumer.assignedPartitions ?? 0) == 0 {
                problems.append("kafka: no partition of the frames topic found yet (it appears with the first message)")
            }
        } else {
            problems.append("kafka: the consumer is starting")
        }
        for target in targets.withLock({ $0 }) {
            if let problem = target.problem { problems.append("delivery \(target.name): \(problem)") }
        }
        if let problem = totals.withLock({ $0.checkpointProblem }) { problems.append("checkpoint: \(problem)") }
        return ReadinessReport(problems: problems, streams: [])
    }
}
