import Alerting
import Foundation
import Messages
import Synchronization

/// The evaluator and the offsets it has read up to, behind one lock: the reading loop and the silence check both
/// decide notifications, and a checkpoint must see state, offsets and the dispatcher's numbering at one instant.
final class AlertEngine: Sendable {
    private struct State {
        var evaluator: AlertEvaluator
        var offsets: [String: Int64]
    }

    private let state: Mutex<State>
    private let dispatcher: NotificationDispatcher
    private let status: AlertsStatus

    init(evaluator: AlertEvaluator, offsets: [String: Int64], dispatcher: NotificationDispatcher, status: AlertsStatus)
    {
        state = Mutex(State(evaluator: evaluator, offsets: offsets))
        self.dispatcher = dispatcher
        self.status = status
    }

    /// Evaluates one frame read at `topic`/`partition`/`offset` and queues what it decides.
    func observe(_ frame: FrameResult, topic: String, partition: Int32, offset: Int64) {
        state.withLock { state in
            let notifications = state.evaluator.observe(frame)
            state.offsets[AlertCheckpoint.key(topic: topic, partition: partition)] = offset + 1
            submit(notifications, firing: notifications.isEmpty ? 0 : state.evaluator.firing.count)
        }
    }

    /// Counts a message that is not a frame as read.
    func passOver(topic: String, partition: Int32, offset: Int64) {
        state.withLock { $0.offsets[AlertCheckpoint.key(topic: topic, partition: partition)] = offset + 1 }
    }

    func checkSilence(nowMs: Int64) {
        state.withLock { state in
            let notifications = state.evaluator.checkSilence(nowMs: nowMs)
            submit(notifications, firing: notifications.isEmpty ? 0 : state.evaluator.firing.count)
        }
    }

    private func submit(_ notifications: [AlertNotification], firing: Int) {
        for notification in notifications {
            status.decided(notification, firingNow: firing)
            dispatcher.submit(notification)
        }
    }

    var firingCount: Int { state.withLock { $0.evaluator.firing.count } }

    /// The checkpoint of this instant and the number of the last notification it follows.
    func capture(nowMs: Int64) -> (sequence: UInt64, checkpoint: AlertCheckpoint) {
        state.withLock { state in
            (
                dispatcher.lastSubmitted,
                AlertCheckpoint(offsets: state.offsets, state: state.evaluator.state, savedAtMs: nowMs)
            )
        }
    }
}

/// Takes checkpoints and writes each once every notification before it is finished by every delivery (the newest
/// such one; older ones are dropped unwritten).
final class Checkpointer: Sendable {
    private let file: CheckpointFile
    private let engine: AlertEngine
    private let dispatcher: NotificationDispatcher
    private let status: AlertsStatus
    private let waiting = Mutex<[(sequence: UInt64, checkpoint: AlertCheckpoint)]>([])
    private let writer = DispatchQueue(label: "alerts checkpoint")
    static let maximumWaiting = 120

    init(file: CheckpointFile, engine: AlertEngine, dispatcher: NotificationDispatcher, status: AlertsStatus) {
        self.file = file
        self.engine = engine
        self.dispatcher = dispatcher
        self.status = status
    }

    /// Takes a checkpoint now and writes the newest one that may be written.
    func checkpoint(nowMs: Int64) async {
        let taken = engine.capture(nowMs: nowMs)
        let watermark = dispatcher.watermark
        let ready: AlertCheckpoint? = waiting.withLock { waiting in
            // A newer state after the same notifications replaces the older one; while a delivery is stuck (a
            // receiver down for hours) the list is thinned in the middle, so it stays small: a checkpoint dropped
            // only means reading a little more again after a crash.
            if waiting.last?.sequence == taken.sequence { waiting.removeLast() }
            waiting.append(taken)
            if waiting.count > Self.maximumWaiting { waiting.remove(at: waiting.count / 2) }
            guard let index = waiting.lastIndex(where: { $0.sequence <= watermark }) else { return nil }
            let ready = waiting[index].checkpoint
            waiting.removeFirst(index + 1)
            return ready
        }
        guard let ready else { return }
        await write(ready)
    }

    private func write(_ checkpoint: AlertCheckpoint) async {
        let file = self.file
        let result: String? = await withCheckedContinuation { continuation in
            // fsync and rename block: on a queue of their own, off the cooperative pool.
            writer.async {
                do {
                    try file.save(checkpoint)
                    continuation.resume(returning: nil)
                } catch {
                    continuation.resume(
                        returning: "cannot write \(file.path): \(error); check the folder's space and permissions")
                }
            }
        }
        if let result {
            status.checkpointFailed(result)
        } else {
            status.checkpointed(atMs: checkpoint.saved_at_ms)
        }
    }
}
