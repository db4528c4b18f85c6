import AnalyticsCore
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
        var recent: [String: (lastNs: UInt64, repeats: Int)] = [:]
        /// Reader threads and their streams.
        var streams: [pthread_t: String] = [:]
    }

    // The C callback cannot carry a context, so the logger lives here (set once at start).
    private static let state = Mutex(State())
    static let repeatIntervalNs: UInt64 = 30_000_000_000

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
        let now = MonotonicClock.nowNanoseconds()
        let (logger, repeats, stream): (Logger?, Int?, String?) = state.withLock { state in
            let stream = state.streams[thread]
            let key = "\(stream ?? "")\u{1}\(text)"
            if let seen = state.recent[key], now &- seen.lastNs < repeatIntervalNs {
                state.recent[key] = (seen.lastNs, seen.repeats + 1)
                return (state.logger, nil, stream)
            }
            if state.recent.count > 1000 {  // bounded: forget lines not seen for an interval
                state.recent = state.recent.filter { now &- $0.value.lastNs < repeatIntervalNs }
            }
            let repeats = state.recent[key]?.repeats ?? 0
            state.recent[key] = (now, 0)
            return (state.logger, repeats, stream)
        }
        guard let logger, let repeats else { return }
        var metadata: Logger.Metadata = [:]
        if let stream { metadata["stream"] = "\(stream)" }
        let more = repeats > 0 ? " (\(repeats) more like it since the last report)" : ""
        logger.log(level: level <= AV_LOG_ERROR ? .error : .warning, "FFmpeg: \(text)\(more)", metadata: metadata)
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
