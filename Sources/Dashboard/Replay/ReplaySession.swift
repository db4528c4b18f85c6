import AnalyticsCore
import Foundation
import Kafka
import Logging
import Messages
import RuntimeSupport
import Synchronization

/// One browser's look back: a consumer of its own positioned at a capture time by the broker's offsets-for-times
/// index (no group: the live dashboards' partitions and offsets are untouched), a board of its own, and a clock that
/// plays the frame messages, the zone and line events and the alerts forward by their capture times at the chosen speed. Its updates go only to its client's
/// queue, which takes no live updates meanwhile; the live board and its fan-out never see it.
final class ReplaySession: Sendable {
    /// What the client sees of the session (`{"type":"replay", …}`).
    struct Status: Encodable, Equatable {
        var type = "replay"
        /// `playing`, `paused`, `ended` (closed or idle), `failed` (not opened), or `live` (back to the live board).
        var state: String
        var from_ms: Int64
        /// The replay clock: the capture time being shown.
        var at_ms: Int64
        var speed: Double
        var messages: Int
        var reason: String?
    }

    private struct Control {
        var speed: Double
        var paused = false
        var steps = 0
        var closed = false
        /// Wall-clock time of the last play/pause/step (for the idle timeout).
        var lastActivityMs: Int64
    }

    static let speeds: [Double] = [1, 4, 16]

    let fromMs: Int64
    private let consumer: any MessageSource
    /// Its zone and line events replay into the events panel, paced like the frames.
    private let eventsTopic: String
    /// Its notifications replay into the alerts panel and onto the tiles.
    private let alertsTopic: String
    private let board: StreamBoard
    private let queue: ClientQueue
    private let control: Mutex<Control>
    private let idleTimeoutMs: Int64
    private let logger: Logger
    private let clock: ServiceClock

    /// A replay's consumer: the topics positioned at `fromMs`, no group. Throws a one-line reason when it cannot.
    static func consumer(
        configuration: ConsumerConfiguration, fromMs: Int64, clock: ServiceClock, logger: Logger
    ) throws(KafkaError) -> KafkaConsumer {
        let kafka = configuration.kafka
        // The frames with the events and the alerts topics, as far as they exist (no stream has zones or lines, or
        // none has fired yet; no alerts process runs).
        let alertsTopic = configuration.alerts.topic
        var properties = KafkaConsumer.properties(
            bootstrapServers: kafka.bootstrapServers, groupID: "realtime-analytics-replay", startAtNewest: false,
            overrides: kafka.properties)
        // Small fetches per partition (about a dozen previews) keep the partitions' batches short, so the merge by
        // capture time has every partition's next messages at hand (a user's kafka.properties wins).
        if properties["max.partition.fetch.bytes"] == nil { properties["max.partition.fetch.bytes"] = "262144" }
        // Small buffer: a paused session holds at most this many messages (previews included) in memory, beside the
        // merge's `mergeCapacity`.
        return try KafkaConsumer(
            properties: properties, topics: [kafka.topic, kafka.eventsTopic, alertsTopic],
            optionalTopics: [kafka.eventsTopic, alertsTopic], start: .time(fromMs, finishAtEnd: false),
            bufferCapacity: 32, clock: clock, logger: logger)
    }

    /// Plays what `consumer` reads (positioned at `fromMs`; the in-process tests give a scripted one).
    init(
        configuration: ConsumerConfiguration, consumer: any MessageSource, fromMs: Int64, speed: Double,
        queue: ClientQueue, idleTimeoutSeconds: Double, clock: ServiceClock, logger: Logger
    ) {
        self.consumer = consumer
        self.clock = clock
        let kafka = configuration.kafka
        let alertsTopic = configuration.alerts.topic
        eventsTopic = kafka.eventsTopic
        self.alertsTopic = alertsTopic
        board = StreamBoard(
            staleAfterSeconds: configuration.dashboard.staleAfterSeconds,
            offlineAfterSeconds: configuration.dashboard.offlineAfterSeconds)
        board.register(configuration.streams)
        self.fromMs = fromMs
        self.queue = queue
        self.logger = logger
        idleTimeoutMs = Int64(idleTimeoutSeconds * 1000)
        control = Mutex(Control(speed: speed, lastActivityMs: clock.wallMilliseconds))
    }

    func play(speed: Double?) {
        control.withLock {
            $0.paused = false
            if let speed { $0.speed = speed }
            $0.lastActivityMs = clock.wallMilliseconds
        }
    }

    func pause() {
        control.withLock {
            $0.paused = true
            $0.lastActivityMs = clock.wallMilliseconds
        }
    }

    /// While paused: shows the next message.
    func step() {
        control.withLock {
            $0.paused = true
            $0.steps += 1
            $0.lastActivityMs = clock.wallMilliseconds
        }
    }

    /// Fired by `close`: the connection's runner ends `run` at once (it may be waiting for the replay clock).
    let closed = Signal()

    /// Ends the session and frees its consumer (blocking for a moment: off the cooperative pool).
    func close() {
        let wasOpen = control.withLock { state in
            defer { state.closed = true }
            return !state.closed
        }
        guard wasOpen else { return }
        closed.fire()
        DedicatedThreads.process.start(named: "replay consumer close") { [consumer] in consumer.close() }
    }

    /// What a replay shows: a frame message, or a zone or line event (its bytes, as the board takes them).
    private enum Replayed {
        case frame(DecodedFrameMessage)
        case event([UInt8])
        case alert([UInt8])
    }

    /// How many fetched messages a session holds for the merge of its partitions (a few fetches' worth of each
    /// partition; with previews about 10 MB).
    static let mergeCapacity = 512

    /// Plays until closed, failed or idle; the topic's end just waits for more (it is live by then).
    func run() async {
        var replay = ReplayClock(fromMs: fromMs, speed: control.withLock { $0.speed })
        var messages = 0
        var lastStatusMs: Int64 = 0
        var iterator = consumer.messages.makeAsyncIterator()
        var merge = ReplayMerge<Replayed>(capacity: Self.mergeCapacity)
        func send(_ state: String, reason: String? = nil) {
            let speed = control.withLock { $0.speed }
            queue.putReplay(
                key: "replay", streamID: nil,
                payload: WebSocketHub.encode(
                    Status(
                        state: state, from_ms: fromMs, at_ms: replay.atMs, speed: speed, messages: messages,
                        reason: reason)))
        }
        func take(_ message: KafkaMessage) {
            // A frame, or a zone or line event; anything else is skipped (the live board counts it).
            let item: Replayed
            let captured: Int64
            if message.topic == eventsTopic {
                guard let event = ZoneEventMessage.decode(message.value) else { return }
                (item, captured) = (.event(message.value), event.timestamp_ms)
            } else if message.topic == alertsTopic {
                guard let notification = AlertNotification.decode(message.value) else { return }
                (item, captured) = (.alert(message.value), notification.at_ms)
            } else {
                guard let decoded = try? FrameMessageDecoder.decode(message.value) else { return }
                (item, captured) = (.frame(decoded), decoded.result.timestampMs)
            }
            // Positioned by the broker's timestamps (stamped after capture): the capture time decides.
            guard captured >= fromMs else { return }
            merge.add(item, captured: captured, from: .init(topic: message.topic, partition: message.partition))
        }
        send("playing")
        do {
            playing: while true {
                // Whatever has been fetched joins the merge before the earliest message is chosen.
                while !merge.isFull, let message = consumer.nextBuffered() { take(message) }
                guard let captured = merge.earliestCaptured else {
                    guard let message = try await iterator.next() else { break playing }
                    take(message)
                    continue playing
                }
                // Wait until the replay clock reaches the earliest message (or a step shows it), looking again
                // at least every 100 ms: control changes, and earlier messages from another partition, may come.
                let now = clock.wallMilliseconds
                // A step (asked while paused) shows exactly one message.
                let (state, stepping) = control.withLock { state -> (Control, Bool) in
                    guard state.paused && state.steps > 0 else { return (state, false) }
                    state.steps -= 1
                    return (state, true)
                }
                if state.closed { return send("ended", reason: "closed") }
                if stepping {
                    replay.jump(to: captured, wallMs: now)
                } else if state.paused {
                    if now - state.lastActivityMs > idleTimeoutMs {
                        close()
                        return send("ended", reason: "paused for over \(idleTimeoutMs / 1000) s")
                    }
                    replay.hold(wallMs: now)
                    if now - lastStatusMs >= 250 {
                        lastStatusMs = now
                        send("paused")
                    }
                    try await clock.sleep(for: .milliseconds(50))
                    continue playing
                } else {
                    replay.speed = state.speed
                    if case .wait(let milliseconds) = replay.due(captured, wallMs: now) {
                        try await clock.sleep(for: .milliseconds(milliseconds))
                        continue playing
                    }
                }
                guard let (_, replayed) = merge.removeEarliest() else { continue playing }
                messages += 1
                guard case .frame(let decoded) = replayed else {
                    if case .event(let bytes) = replayed, board.ingestEvent(bytes) != nil {
                        queue.putReplay(
                            key: WebSocketHub.eventsKey, streamID: nil,
                            payload: WebSocketHub.encode(
                                EventsView(events: board.recentEvents(limit: WebSocketHub.eventsShown))))
                    }
                    if case .alert(let bytes) = replayed, board.ingestAlert(bytes) {
                        queue.putReplay(
                            key: WebSocketHub.alertsKey, streamID: nil,
                            payload: WebSocketHub.encode(board.alerts(limit: WebSocketHub.alertsShown)))
                    }
                    continue
                }
                if case .updated(let view, let thumbnail) = board.ingest(decoded, nowMs: replay.atMs) {
                    queue.putReplay(
                        key: WebSocketHub.streamKey(view.id), streamID: view.id, payload: WebSocketHub.encode(view))
                    if let thumbnail {
                        queue.putReplay(
                            key: WebSocketHub.thumbnailKey(view.id), streamID: view.id,
                            payload: WebSocketHub.encode(thumbnail))
                    }
                }
                let shownMs = clock.wallMilliseconds
                if shownMs - lastStatusMs >= 250 {
                    lastStatusMs = shownMs
                    for view in board.refresh(nowMs: replay.atMs) {
                        queue.putReplay(
                            key: WebSocketHub.streamKey(view.id), streamID: view.id, payload: WebSocketHub.encode(view)
                        )
                    }
                    queue.putReplay(
                        key: WebSocketHub.totalsKey, streamID: nil,
                        payload: WebSocketHub.encode(board.totals(nowMs: replay.atMs)))
                    send(control.withLock { $0.paused } ? "paused" : "playing")
                }
            }
            send("ended", reason: "the consumer stopped")
        } catch is CancellationError {
            send("ended", reason: "closed")
        } catch {
            logger.warning("replay from \(fromMs): \(error)")
            send("failed", reason: "\(error)")
        }
    }
}
