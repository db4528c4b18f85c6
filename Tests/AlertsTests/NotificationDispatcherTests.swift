import Foundation
import Messages
import Testing

@testable import Alerting
@testable import Alerts

/// The numbering, the watermark a checkpoint waits for, back-pressure, lanes, and the checkpoint file: in process.
@Suite struct NotificationDispatcherTests {
    static func notification(_ index: Int) -> AlertNotification {
        AlertNotification(
            id: "r/cam-\(index)/-/\(index)/firing", instance: "r/cam-\(index)/-", rule: "r", type: "stream_down",
            stream: "cam-\(index)", zone: nil, line: nil, state: .firing, repeat: 0, severity: "warning", text: "t",
            value: 1, started_at_ms: Int64(index), ended_at_ms: nil, at_ms: Int64(index), frame_id: nil, run_id: nil)
    }

    @Test func theWatermarkIsTheSlowestQueue() async {
        let dispatcher = NotificationDispatcher(deliveries: 2, maxPending: 100)
        for index in 1...3 { dispatcher.submit(Self.notification(index)) }
        #expect(dispatcher.lastSubmitted == 3 && dispatcher.watermark == 0 && dispatcher.pending == 3)
        var queues = dispatcher.queues.map { $0.makeAsyncIterator() }
        for _ in 1...3 {
            let item = await queues[0].next()
            dispatcher.finished(delivery: 0, sequence: item!.sequence)
        }
        let first = await queues[1].next()
        #expect(first?.sequence == 1 && first?.notification.id == "r/cam-1/-/1/firing")
        dispatcher.finished(delivery: 1, sequence: 1)
        #expect(dispatcher.watermark == 1 && dispatcher.pending == 2)
        dispatcher.finish()
        #expect(await queues[1].next()?.sequence == 2)
    }

    @Test func readingWaitsForRoom() async {
        let dispatcher = NotificationDispatcher(deliveries: 1, maxPending: 2)
        dispatcher.submit(Self.notification(1))
        #expect(await dispatcher.waitForRoom() == false)
        dispatcher.submit(Self.notification(2))
        async let waited = dispatcher.waitForRoom()
        try? await Task.sleep(for: .milliseconds(50))
        dispatcher.finished(delivery: 0, sequence: 1)
        #expect(await waited == true)
        #expect(dispatcher.pending == 1)
    }

    @Test func anInstanceAlwaysTakesTheSameLaneAndLanesShareTheLoad() {
        var counts = Array(repeating: 0, count: 8)
        for stream in 1...800 {
            let lane = DeliveryWorker<ContinuousClock>.lane(of: "crowd/cam-\(stream)/path", lanes: 8)
            #expect(lane == DeliveryWorker<ContinuousClock>.lane(of: "crowd/cam-\(stream)/path", lanes: 8))
            counts[lane] += 1
        }
        #expect(counts.allSatisfy { (60...140).contains($0) }, "\(counts)")
        #expect(DeliveryWorker<ContinuousClock>.lane(of: "anything", lanes: 1) == 0)
    }

    @Test func theCheckpointFileRoundTripsAndRefusesANewerFormat() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = CheckpointFile(path: folder.appendingPathComponent("state.json").path)
        #expect(try file.load() == nil)
        var state = AlertEvaluatorStateFixture.state
        state.instances["r/cam-1/-"] = .init(firing: true, sinceMs: 5, lastNotifiedMs: 5, repeats: 0, value: 1)
        let checkpoint = AlertCheckpoint(offsets: ["frames:0": 42], state: state, savedAtMs: 7)
        try file.save(checkpoint)
        #expect(try file.load() == checkpoint)
        try #"{"version": 2}"#.write(toFile: file.path, atomically: true, encoding: .utf8)
        #expect(throws: AlertsStopped.self) { try file.load() }
    }
}

enum AlertEvaluatorStateFixture {
    static var state: AlertEvaluatorState {
        var state = AlertEvaluatorState()
        state.streams["cam-1"] = .init(lastMs: 5, runID: "run", lineTotals: ["gate": ["left_to_right": ["person": 2]]])
        return state
    }
}
