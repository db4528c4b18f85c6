import Logging
import Synchronization

/// Keeps every line logged through its `logger` at `level` or above, as "LEVEL MESSAGE", for tests that assert what
/// was logged.
public final class LogRecorder: Sendable {
    public let lines = Mutex<[String]>([])
    private let level: Logger.Level

    public init(level: Logger.Level = .trace) { self.level = level }

    public var logger: Logger { Logger(label: "test") { _ in Handler(recorder: self, logLevel: self.level) } }

    /// Lines containing `text`.
    public func count(containing text: String) -> Int { lines.withLock { $0.filter { $0.contains(text) }.count } }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var logLevel: Logger.Level
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            recorder.lines.withLock { $0.append("\(event.level) \(event.message)") }
        }
    }
}
