import AnalyticsCore
import Foundation
import Logging
import Messages
import RuntimeSupport
import Synchronization
import VideoIngest

/// The streams this instance runs, by configured stream index: every one, or in fleet mode the ones the group
/// assigns it. Starting a stream gives it a fresh lane (tracker, zone counter, preview throttle) of a run of its own
/// when asked, and a reader; stopping one stops its reader, waits for the reader's thread, and drops its waiting
/// frame, so no frame of a stopped stream is analysed afterwards (the one a worker may hold is still published).
final class StreamRoster: Sendable {
    private final class Running: Sendable {
        let reader: StreamReader
        /// Set once the reader's thread has started.
        let thread = Mutex<DedicatedThread?>(nil)
        init(reader: StreamReader) { self.reader = reader }
    }

    private let configuration: Configuration
    private let settings: IngestSettings
    private let scheduler: FrameScheduler
    private let logger: Logger
    private let clock: ServiceClock
    /// Fleet mode: this instance's name, carried by every result of the streams it starts.
    private let instance: String?
    private let running: Mutex<[Running?]>
    /// Fires when as many readers have ended as there are streams: with a fixed roster (no fleet), when every file
    /// source has played to its end.
    let allEnded = Signal()
    private let readersToEnd: Atomic<Int>

    init(
        configuration: Configuration, scheduler: FrameScheduler, logger: Logger, instance: String? = nil,
        clock: ServiceClock = .system
    ) {
        self.configuration = configuration
        self.clock = clock
        self.instance = instance
        settings = IngestSettings(configuration.pipeline)
        self.scheduler = scheduler
        self.logger = logger
        running = Mutex(configuration.streams.map { _ in nil })
        readersToEnd = Atomic(configuration.streams.count)
        if configuration.streams.isEmpty { allEnded.fire() }
    }

    private func readerEnded() {
        if readersToEnd.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { allEnded.fire() }
    }

    /// The reader of each configured stream, nil where the stream does not run here.
    var readers: [StreamReader?] { running.withLock { $0.map { $0?.reader } } }

    /// Starts `indices` that are not running. With `runID`, each gets a new lane of that run; with nil, a new lane
    /// of a run made for it alone (a stream that moved here: consumers see a new run and reset).
    func start(_ indices: some Sequence<Int>, runID: String? = nil) {
        for index in indices {
            let stream = configuration.streams[index]
            let started: Running? = running.withLock { entries in
                guard entries[index] == nil else { return nil }
                let entry = Running(
                    reader: StreamReader(
                        stream: stream, streamIndex: index, settings: settings, delivery: scheduler, logger: logger))
                entries[index] = entry
                return entry
            }
            guard let started else { continue }
            scheduler.renew(
                StreamLane(
                    for: configuration, index: index, runID: runID ?? RunID.make(startedAtMs: clock.wallMilliseconds),
                    instance: instance))
            let thread = started.reader.start(onExit: { [self] in readerEnded() })
            started.thread.withLock { $0 = thread }
        }
    }

    /// Stops the readers of `indices`, waits for their threads (at most `seconds` in all), and drops their waiting
    /// frames. Blocking: call from a thread of its own (the fleet member's, or shutdown).
    func stop(_ indices: some Sequence<Int>, waitingAtMost seconds: Double = 3) {
        let stopping: [(Int, Running)] = running.withLock { entries in
            indices.compactMap { index in
                guard let entry = entries[index] else { return nil }
                entries[index] = nil
                return (index, entry)
            }
        }
        for (_, entry) in stopping { entry.reader.stop() }
        let deadlineNs = clock.uptimeNanoseconds + UInt64(max(0, seconds) * 1e9)
        for (index, entry) in stopping {
            let remaining = Double(deadlineNs &- min(deadlineNs, clock.uptimeNanoseconds)) / 1e9
            if entry.thread.withLock({ $0 })?.join(waitingAtMost: remaining) == false {
                logger.warning("stream \(entry.reader.stream.id): its reader did not stop within \(seconds) s")
            }
            scheduler.discardWaiting(index)
        }
    }

    /// Runs exactly `wanted`: stops the others, then starts the new ones (each in a run of its own). Returns the
    /// indices stopped and started.
    @discardableResult
    func run(only wanted: Set<Int>) -> (stopped: [Int], started: [Int]) {
        let (lost, gained): ([Int], [Int]) = running.withLock { entries in
            (
                entries.indices.filter { entries[$0] != nil && !wanted.contains($0) },
                wanted.sorted().filter { entries[$0] == nil }
            )
        }
        stop(lost)
        start(gained)
        return (lost, gained)
    }

    func stopAll(waitingAtMost seconds: Double = 3) {
        stop(Array(configuration.streams.indices), waitingAtMost: seconds)
    }
}
