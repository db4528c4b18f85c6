/// Connection state of a stream as users see it (status line, dashboard).
public enum StreamState: UInt8, Sendable, CustomStringConvertible, CaseIterable {
    /// Opening the source for the first time.
    case connecting
    /// Frames are flowing.
    case online
    /// The source was lost; reopening it.
    case reconnecting
    /// The source cannot be opened right now; retrying with backoff.
    case offline
    /// A file without `loop` played to its end.
    case ended

    public var description: String {
        switch self {
        case .connecting: "connecting"
        case .online: "online"
        case .reconnecting: "reconnecting"
        case .offline: "offline"
        case .ended: "ended"
        }
    }
}
