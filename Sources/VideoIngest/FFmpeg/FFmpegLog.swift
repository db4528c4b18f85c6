import CFFmpeg
import Foundation
import Logging
import RuntimeSupport
import Synchronization

/// FFmpeg's own log lines (`[tcp @ 0x…] Connection to tcp://… failed`), which it would print straight to stderr,
/// routed into swift-log instead: with the stream they concern (FFmpeg logs on the thread that opens, reads or
/// decodes, and each reader thread registers its stream), the `@ 0x…` address left out, and each distinct line of a stream
/// logged at most once per 30 s with the number of repeats since, so a source that fails on every retry does not
/// flood the log. Warnings and errors only; FFmpeg's informational chatter is dropped.
public enum FFmpegLog {
    private struct State {
        var logger: Logger?
        /// Reader threads and their streams.
        var streams: [pthread_t: String] = [:]
    }

    // The C callback cannot carry a context, so the logger lives here (set once at start).
    private static let state = Mutex(State())
    /// Each distinct line of a stream at most once per 30 s.
    private static let repeats = LogThrottle(every: 30)

    /// Routes FFmpeg's log into `logger` from now on.
    public static func install(logger: Logger) {
        state.withLock { $0.logger = logger }
        av_log_set_level(AV_LOG_WARNING)
        av_log_set_callback { context, level, format, arguments in
            guard level <= AV_LOG_WARNING, let format, let arguments else { return }
            var buffer = [CChar](repeating: 0, count: 1024)
            var printPrefix: Int32 = 1
            av_log_format_line2(context, level, format, arguments, &buffer, Int32(buffer.count), &printPrefix)
            let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            FFmpegLog.record(level: level, line: String(decoding: bytes, as: UTF8.self), thread: pthread_self())
        }
    }

    /// The calling thread reads `streamID` until `leave()`: FFmpeg's lines from it name that stream.
    static func enter(streamID: String) {
        state.withLock { $0.streams[pthread_self()] = streamID }
    }

    static func leave() {
        _ = state.withLock { $0.streams.removeValue(forKey: pthread_self()) }
    }

    /// One formatted FFmpeg line logged on `thread`.
    static func record(level: Int32, line: String, thread: pthread_t) {
        let text = tidy(line)
        guard !text.isEmpty else { return }
        let (logger, stream) = state.withLock { ($0.logger, $0.streams[thread]) }
        guard let logger else { return }
        var metadata: Logger.Metadata = [:]
        if let stream { metadata["stream"] = "\(stream)" }
        repeats.record(
            logger, level <= AV_LOG_ERROR ? .error : .warning, key: "\(stream ?? "")\u{1}\(text)", metadata: metadata,
            "FFmpeg: \(text)")
    }

    /// `[tcp @ 0x55d1c2a0] Connection … failed\n` → `[tcp] Connection … failed`: the address differs per attempt
    /// and would defeat the de-duplication.
    static func tidy(_ line: String) -> String {
        var text = line.trimmingCharacters(in: .whitespacesAndNewlines)
        while let at = text.range(of: " @ 0x") {
            let end = text[at.upperBound...].firstIndex { !$0.isHexDigit } ?? text.endIndex
            text.removeSubrange(at.lowerBound..<end)
        }
        return text
    }
}
