import Messages
import Synchronization

/// Live state and counters of one stream's reader, read by the status line and metrics from any thread.
public final class StreamHealth: Sendable {
    public let streamID: String
    private let stateValue = Atomic<UInt8>(StreamState.connecting.rawValue)
    private let decoded = Atomic<Int>(0)
    private let reconnectCount = Atomic<Int>(0)
    private let failedOpenCount = Atomic<Int>(0)
    private let lastErrorText = Mutex<String?>(nil)

    public init(streamID: String) {
        self.streamID = streamID
    }

    public var state: StreamState {
        StreamState(rawValue: stateValue.load(ordering: .relaxed)) ?? .connecting
    }

    /// Frames decoded and handed to the pipeline since start.
    public var decodedFrames: Int { decoded.load(ordering: .relaxed) }

    /// Times the source was lost and reopened (loops of a file are not counted).
    public var reconnects: Int { reconnectCount.load(ordering: .relaxed) }

    /// Attempts to open the source that failed (each retry of an offline source counts).
    public var failedOpens: Int { failedOpenCount.load(ordering: .relaxed) }

    /// The most recent reason the source failed, if any.
    public var lastError: String? { lastErrorText.withLock { $0 } }

    /// Sets the state; returns the previous one.
    @discardableResult
    func setState(_ state: StreamState) -> StreamState {
        StreamState(rawValue: stateValue.exchange(state.rawValue, ordering: .relaxed)) ?? .connecting
    }

    func countDecodedFrame() { decoded.add(1, ordering: .relaxed) }

    func countReconnect() { reconnectCount.add(1, ordering: .relaxed) }

    func countFailedOpen() { failedOpenCount.add(1, ordering: .relaxed) }

    func recordError(_ text: String?) { lastErrorText.withLock { $0 = text } }
}
