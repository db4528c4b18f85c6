import Synchronization

/// Time that moves only when told: the clock of the in-process tests. `ServiceClock(manual)` hands it to the code under
/// test; `advance(by:)` moves both its monotonic and its wall time and wakes every sleeper whose deadline has come,
/// earliest first. A sleeper that is cancelled wakes at once with `CancellationError`.
public final class ManualClock: Sendable {
    private struct Sleeper {
        let deadlineNs: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }
    private struct State {
        var elapsedNs: UInt64 = 0
        var sleepers: [UInt64: Sleeper] = [:]
        var nextID: UInt64 = 0
    }
    private let state = Mutex(State())
    private let startWallMs: Int64

    /// Starts at `wallMs` (ms since the epoch), e.g. a fixed date so that a test's times are the same on every run.
    public init(wallMs: Int64 = 1_800_000_000_000) {
        startWallMs = wallMs
    }

    public var clock: ServiceClock { ServiceClock(self) }

    public var elapsedNanoseconds: UInt64 { state.withLock { $0.elapsedNs } }

    public var wallMilliseconds: Int64 { startWallMs + Int64(elapsedNanoseconds / 1_000_000) }

    /// Tasks sleeping on this clock now.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// Moves time forward and resumes the sleepers now due, in deadline order.
    public func advance(by duration: Duration) {
        let due: [Sleeper] = state.withLock { state in
            state.elapsedNs += UInt64(max(0, duration.nanoseconds))
            let now = state.elapsedNs
            let ready = state.sleepers.filter { $0.value.deadlineNs <= now }
            for key in ready.keys { state.sleepers.removeValue(forKey: key) }
            return ready.values.sorted { $0.deadlineNs < $1.deadlineNs }
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    func sleep(untilNanoseconds deadline: UInt64) async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: (any Error)?? = state.withLock { state in
                    if Task.isCancelled { return .some(CancellationError()) }
                    if deadline <= state.elapsedNs { return .some(nil) }
                    state.sleepers[id] = Sleeper(deadlineNs: deadline, continuation: continuation)
                    return .none
                }
                switch resumeNow {
                case .some(.some(let error)): continuation.resume(throwing: error)
                case .some(.none): continuation.resume()
                case .none: break
                }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }
}
