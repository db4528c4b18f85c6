import AnalyticsCore
import Foundation
import Logging
import RuntimeSupport
import Synchronization
import VideoFrames

/// `validate --deep`: each distinct source opened by the pipeline's own reader (same options, same decoder) until
/// its first decoded frame, all in parallel and each within a time limit.
public enum SourceCheck {
    public struct Outcome: Sendable {
        /// The source as configured (file path or URL).
        public var source: String
        /// The streams that read it.
        public var streams: [String]
        /// The first frame's size, when one was decoded.
        public var frameSize: (width: Int, height: Int)?
        /// Why no frame came, when none did.
        public var error: String?
    }

    /// Checks every distinct source of `streams` in parallel; returns one outcome per source, in first-use order.
    public static func check(
        _ streams: [StreamConfiguration], settings: IngestSettings, timeoutSeconds: Double, logger: Logger
    ) -> [Outcome] {
        var order: [String] = []
        var users: [String: [StreamConfiguration]] = [:]
        for stream in streams {
            let key = stream.source.ffmpegURL
            if users[key] == nil { order.append(key) }
            users[key, default: []].append(stream)
        }
        let results = Mutex<[String: Outcome]>([:])
        let done = DispatchGroup()
        for key in order {
            let stream = users[key]![0]
            let names = users[key]!.map(\.id)
            done.enter()
            DedicatedThreads.process.start(named: "source check") {
                let outcome = firstFrame(stream, settings: settings, timeoutSeconds: timeoutSeconds, logger: logger)
                results.withLock {
                    $0[key] = Outcome(source: key, streams: names, frameSize: outcome.size, error: outcome.error)
                }
                done.leave()
            }
        }
        done.wait()
        let all = results.withLock { $0 }
        return order.compactMap { all[$0] }
    }

    private static func firstFrame(
        _ stream: StreamConfiguration, settings: IngestSettings, timeoutSeconds: Double, logger: Logger
    ) -> (size: (width: Int, height: Int)?, error: String?) {
        final class First: FrameDelivery, Sendable {
            let size = Mutex<(width: Int, height: Int)?>(nil)
            func deliverNewest(_ frame: Frame) { keep(frame) }
            func deliverWaiting(_ frame: Frame, control: ReaderControl) -> Bool {
                keep(frame)
                return true
            }
            private func keep(_ frame: Frame) {
                let planes = frame.pixels.planes
                size.withLock { $0 = $0 ?? (planes.width, planes.height) }
            }
        }
        let first = First()
        let ended = Atomic<Bool>(false)
        // Quiet: the outcome is reported by the caller, not as the reader's retry log.
        var quiet = logger
        quiet.logLevel = .critical
        var once = stream
        once.realtime = false
        let reader = StreamReader(stream: once, streamIndex: 0, settings: settings, delivery: first, logger: quiet)
        reader.start(onExit: { ended.store(true, ordering: .releasing) })
        let clock = ServiceClock.system
        let deadline = clock.now.advanced(by: .seconds(timeoutSeconds))
        // A first open that fails is the answer (the reader would retry with backoff).
        while first.size.withLock({ $0 == nil }) && !ended.load(ordering: .acquiring) && clock.now < deadline
            && reader.health.state != .offline
        {
            Thread.sleep(forTimeInterval: 0.02)
        }
        reader.stop()
        if let size = first.size.withLock({ $0 }) { return (size, nil) }
        if reader.health.state == .offline, let error = reader.health.lastError { return (nil, error) }
        if ended.load(ordering: .acquiring) { return (nil, reader.health.lastError ?? "the source has no frame") }
        let reason = reader.health.lastError.map { ": \($0)" } ?? " (no error reported: a slow or silent source)"
        return (nil, "no frame within \(Int(timeoutSeconds)) s\(reason)")
    }
}
