import Testing

@testable import Kafka

/// A stand-in for a librdkafka client: the state machine only needs its identity.
private final class FakeClient: Sendable {
    let name: String
    init(_ name: String) { self.name = name }
}

private typealias Machine = ProducerStateMachine<FakeClient>

@Suite("Producer state machine")
struct ProducerStateMachineTests {
    private func open(_ client: FakeClient) -> Machine {
        var machine = Machine()
        #expect(machine.opened(client) == nil)
        return machine
    }

    @Test(
        "a fatal error of the current client starts one replacement; the built one is used and the failed one retired")
    func replacement() {
        let first = FakeClient("first"), second = FakeClient("second")
        var machine = open(first)
        guard case .replace(let failed) = machine.fatalError(reportedBy: { $0 === first }, nowNs: 0) else {
            Issue.record("no replacement started")
            return
        }
        #expect(failed === first)
        // The failed client stays the one produce calls reach (it refuses them), and a second report changes nothing.
        #expect(machine.client === first)
        guard case .none = machine.fatalError(reportedBy: { $0 === first }, nowNs: 1) else {
            Issue.record("a second replacement started while one is under way")
            return
        }
        guard case .retire(let retired) = machine.replacementBuilt(second) else {
            Issue.record("the replacement was discarded")
            return
        }
        #expect(retired === first && machine.client === second)
        // A late fatal report of the retired client (its purge runs callbacks) does not replace the new one.
        guard case .none = machine.fatalError(reportedBy: { $0 === first }, nowNs: 2) else {
            Issue.record("a retired client's error replaced the current one")
            return
        }
        #expect(machine.client === second)
    }

    @Test("a replacement that cannot be built keeps the failed client and waits before the next attempt")
    func failedReplacement() {
        let first = FakeClient("first")
        var machine = open(first)
        _ = machine.fatalError(reportedBy: { $0 === first }, nowNs: 0)
        machine.replacementFailed(nowNs: 10, retryAfterNs: 100)
        #expect(machine.client === first)
        guard case .none = machine.fatalError(reportedBy: { $0 === first }, nowNs: 50) else {
            Issue.record("retried before the pause ended")
            return
        }
        guard case .replace = machine.fatalError(reportedBy: { $0 === first }, nowNs: 110) else {
            Issue.record("no new attempt after the pause")
            return
        }
    }

    @Test("closing hands back the client to shut down once; a replacement built after the close is discarded")
    func closeDuringReplacement() {
        let first = FakeClient("first"), second = FakeClient("second")
        var machine = open(first)
        _ = machine.fatalError(reportedBy: { $0 === first }, nowNs: 0)
        #expect(machine.close() === first)
        #expect(machine.close() == nil, "a second close has nothing to shut down")
        #expect(machine.client == nil)
        guard case .discard = machine.replacementBuilt(second) else {
            Issue.record("a replacement was put to use after the close")
            return
        }
        #expect(machine.client == nil)
        guard case .none = machine.fatalError(reportedBy: { _ in true }, nowNs: 1) else {
            Issue.record("a closed producer started a replacement")
            return
        }
        var unopened = Machine()
        #expect(unopened.close() == nil)
        #expect(unopened.opened(first) === first, "a client opened after the close is handed back to shut down")
    }

    @Test("every outcome is counted: produced = delivered + failed + dropped + in flight")
    func counting() {
        var machine = open(FakeClient("only"))
        for _ in 0..<5 { machine.queued() }
        machine.delivered()
        machine.delivered()
        machine.failed()
        machine.dropped(.queueFull)
        machine.dropped(.tooLarge)
        let counters = machine.counters
        #expect(counters.produced == 7 && counters.delivered == 2 && counters.failed == 1)
        #expect(counters.dropped == [.queueFull: 1, .tooLarge: 1] && counters.inFlight == 2)
    }
}
