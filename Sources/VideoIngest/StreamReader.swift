import AnalyticsCore
import CFFmpeg
import Foundation
import Logging
import RuntimeSupport
import VideoFrames

/// Reads one stream on a thread of its own: open, decode, pace, deliver (pictures as decoded: see `FramePixels`); reconnect with backoff when the
/// source fails. Blocking FFmpeg calls never run on Swift's cooperative thread pool, and a failing stream never
/// touches any other stream.
public final class StreamReader: Sendable {
    public let stream: StreamConfiguration
    public let streamIndex: Int
    public let health: StreamHealth
    private let settings: IngestSettings
    private let delivery: any FrameDelivery
    private let control = ReaderControl()
    private let logger: Logger

    public init(
        stream: StreamConfiguration, streamIndex: Int, settings: IngestSettings, delivery: any FrameDelivery,
        logger: Logger
    ) {
        self.stream = stream
        self.streamIndex = streamIndex
        self.settings = settings
        self.delivery = delivery
        self.health = StreamHealth(streamID: stream.id)
        var logger = logger
        logger[metadataKey: "stream"] = "\(stream.id)"
        self.logger = logger
    }

    /// Starts the reader thread; `onExit` runs on that thread when it ends.
    @discardableResult
    public func start(onExit: @escaping @Sendable () -> Void = {}) -> DedicatedThread {
        DedicatedThreads.process.start(named: "reader \(stream.id)", stackSize: 1 << 20) { [self] in
            FFmpegLog.enter(streamID: stream.id)
            run()
            FFmpegLog.leave()
            onExit()
        }
    }

    /// Asks the thread to stop; blocking FFmpeg calls are interrupted. Returns at once.
    public func stop() {
        control.stop()
    }

    // MARK: - Reader thread

    private enum SessionEnd {
        case stopped
        /// A file without loop reached its end.
        case ended
        /// The source failed to open.
        case openFailed(String)
        /// The source was open and failed or ended (live sources).
        case lost(String)
        /// Looping needs a reopen (the format cannot seek).
        case reopen
    }

    private func run() {
        var backoff = ReconnectBackoff(
            initialSeconds: settings.reconnectInitialSeconds, maximumSeconds: settings.reconnectMaximumSeconds)
        var frameIndex: Int64 = 0
        var lastLoggedFailure: String?
        while !control.isStopped {
            let end = session(frameIndex: &frameIndex, backoff: &backoff)
            switch end {
            case .stopped:
                return
            case .ended:
                health.setState(.ended)
                logger.info("stream ended: end of file and loop is off", metadata: ["frames": "\(frameIndex)"])
                return
            case .reopen:
                continue
            case .openFailed(let reason):
                health.recordError(reason)
                health.countFailedOpen()
                let previous = health.setState(.offline)
                // Say it once per distinct failure, not on every retry.
                if previous != .offline || reason != lastLoggedFailure {
                    logger.error(
                        "stream offline: \(reason); retrying with backoff up to \(settings.reconnectMaximumSeconds)s")
                    lastLoggedFailure = reason
                }
            case .lost(let reason):
                health.recordError(reason)
                health.setState(.reconnecting)
                health.countReconnect()
                lastLoggedFailure = nil
                logger.warning("stream lost: \(reason); reconnecting")
            }
            if !control.sleep(seconds: backoff.nextDelay()) { return }
        }
    }

    /// Pixel formats whose first plane is 8-bit luma, which the motion meter reads; others count as motion.
    static let lumaFirstFormats: Set<Int32> = Set(
        [
            AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUV422P, AV_PIX_FMT_YUVJ422P, AV_PIX_FMT_YUV444P,
            AV_PIX_FMT_YUVJ444P, AV_PIX_FMT_NV12, AV_PIX_FMT_NV21, AV_PIX_FMT_GRAY8,
        ].map(\.rawValue))

    /// One open-decode session of the source, until it fails, ends or the reader stops.
    private func session(frameIndex: inout Int64, backoff: inout ReconnectBackoff) -> SessionEnd {
        let input: MediaInput
        let decoder: VideoDecoder
        do {
            input = try MediaInput(source: stream.source, control: control, ioTimeoutMs: settings.ioTimeoutMs)
            decoder = try VideoDecoder(input: input, threads: settings.decoderThreads)
        } catch {
            return control.isStopped ? .stopped : .openFailed(error.description)
        }
        let workingSize = WorkingSize(targetWidth: settings.width, targetHeight: settings.height)
        var motionMeter = MotionMeter()
        let paced = stream.source.isFile && stream.realtime
        let lossless = stream.source.isFile && !stream.realtime
        var pacer = FramePacer(nominalFrameSeconds: input.nominalFrameSeconds)
        var synthesizedPTS = 0.0
        var announced = false
        let timeBase = Double(input.timeBase.num) / Double(max(1, input.timeBase.den))

        // Handles every frame the decoder has ready. Returns a session end when delivery must stop.
        func drainDecoder() -> SessionEnd? {
            while true {
                let received = decoder.receive()
                if received == ra_averror_eagain() || received == ra_averror_eof() { return nil }
                if received < 0 { return .lost("decoding failed: \(ffmpegErrorText(received))") }
                defer { av_frame_unref(decoder.frame) }
                let avFrame = decoder.frame.pointee
                let pts: Double
                if avFrame.best_effort_timestamp != Int64.min {
                    pts = Double(avFrame.best_effort_timestamp) * timeBase
                } else {
                    synthesizedPTS += input.nominalFrameSeconds > 0 ? input.nominalFrameSeconds : 0.04
                    pts = synthesizedPTS
                }
                if paced {
                    let now = MonotonicClock.nowNanoseconds()
                    let due = pacer.dueTime(forPTS: pts, now: now)
                    if due > now, !control.sleep(seconds: Double(due - now) / 1e9) { return .stopped }
                }
                let size = workingSize.forSource(width: Int(avFrame.width), height: Int(avFrame.height))
                // A reference, not a copy: scaled only by whoever reads it (most live frames are replaced first).
                guard let picture = DecodedPicture(referencing: decoder.frame) else {
                    return .lost("cannot keep a decoded frame: out of memory")
                }
                if !announced {
                    announced = true
                    backoff.reset()
                    health.recordError(nil)
                    let previous = health.setState(.online)
                    logger.info(
                        "stream \(previous == .connecting ? "online" : "back online")",
                        metadata: [
                            "source": "\(avFrame.width)x\(avFrame.height) \(decoder.codecName)",
                            "working": "\(size.width)x\(size.height)",
                        ])
                }
                var motion: Bool?
                if Self.lumaFirstFormats.contains(avFrame.format), let luma = avFrame.data.0 {
                    motion = motionMeter.measure(
                        luma: luma, stride: Int(avFrame.linesize.0), width: Int(avFrame.width),
                        height: Int(avFrame.height))
                }
                let frame = Frame(
                    streamIndex: streamIndex, streamID: stream.id, index: frameIndex,
                    captureTimeMs: MonotonicClock.wallMilliseconds(), captureUptimeNs: MonotonicClock.nowNanoseconds(),
                    ptsSeconds: pts, pixels: .decoded(picture), width: size.width, height: size.height, motion: motion)
                frameIndex += 1
                health.countDecodedFrame()
                if lossless {
                    if !delivery.deliverWaiting(frame, control: control) { return .stopped }
                } else {
                    delivery.deliverNewest(frame)
                }
            }
        }

        while !control.isStopped {
            let read = input.readPacket(ioTimeoutMs: settings.ioTimeoutMs)
            if read == ra_averror_eagain() { continue }
            if read == ra_averror_eof() {
                _ = decoder.send(nil)
                if let end = drainDecoder() { return end }
                guard stream.source.isFile else { return .lost("the source closed the stream") }
                guard stream.loop else { return .ended }
                decoder.flush()
                if !input.rewind() { return .reopen }
                continue
            }
            if read < 0 {
                return control.isStopped ? .stopped : .lost("read failed: \(MediaInput.reason(read, control))")
            }
            defer { av_packet_unref(input.packet) }
            guard input.packet.pointee.stream_index == input.videoStreamIndex else { continue }
            let sent = decoder.send(input.packet)
            if sent < 0 && sent != ra_averror_eagain() && sent != ra_averror_eof() {
                // A corrupt packet is common on live sources; skip it rather than dropping the connection.
                logger.debug("decoder rejected a packet: \(ffmpegErrorText(sent))")
                continue
            }
            if let end = drainDecoder() { return end }
        }
        return .stopped
    }
}
