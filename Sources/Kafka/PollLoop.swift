import Foundation
import RuntimeSupport
import Synchronization

/// An rd_kafka_t pointer handed to a poll thread.
struct ClientHandle: Sendable {
    /// librdkafka's handle is thread-safe (its documentation's "Threads and callbacks"); the pointer is immutable.
    nonisolated(unsafe) let pointer: OpaquePointer
}

/// A dedicated thread that calls a blocking librdkafka poll function until stopped. librdkafka runs callbacks on the
/// thread that polls, so this keeps them (and the blocking waits) off Swift's cooperative pool.
final class PollLoop: Sendable {
    private let stopped: Stopped
    private let thread: DedicatedThread

    private final class Stopped: Sendable {
        private let value = Atomic<Bool>(false)
        var isSet: Bool { value.load(ordering: .relaxed) }
        func set() -> Bool { value.exchange(true, ordering: .relaxed) }
    }

    /// Starts the thread; `poll` should block for a short time (e.g. 100 ms) so that stopping is prompt, and returns
    /// false when the loop has nothing more to do (the thread then ends by itself).
    init(name: String, client: ClientHandle, poll: @escaping @Sendable (ClientHandle) -> Bool) {
        let stopped = Stopped()
        self.stopped = stopped
        thread = DedicatedThreads.process.start(named: name) {
            while !stopped.isSet && poll(client) {}
        }
    }

    /// Asks the thread to stop and waits until it has (at most one poll timeout).
    func stopAndWait() {
        guard !stopped.set() else { return }
        thread.join()
    }
}
