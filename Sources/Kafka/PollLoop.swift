import Foundation
import Synchronization

/// An rd_kafka_t pointer handed to a poll thread; librdkafka's handle is thread-safe.
struct ClientHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// A dedicated thread that calls a blocking librdkafka poll function until stopped. librdkafka runs callbacks on the
/// thread that polls, so this keeps them (and the blocking waits) off Swift's cooperative pool.
final class PollLoop: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Starts the thread; `poll` should block for a short time (e.g. 100 ms) so that stopping is prompt.
    init(name: String, client: ClientHandle, poll: @escaping @Sendable (ClientHandle) -> Void) {
        let thread = Thread { [self] in
            while !stopped.load(ordering: .relaxed) {
                poll(client)
            }
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Asks the thread to stop and waits until it has (at most one poll timeout).
    func stopAndWait() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        finished.wait()
    }
}
