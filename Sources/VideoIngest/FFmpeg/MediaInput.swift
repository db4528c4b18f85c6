import AnalyticsCore
import CFFmpeg

/// An opened demuxer (AVFormatContext) with its selected video stream. Owns the context and its packet.
/// Used only on its stream's reader thread.
final class MediaInput {
    private var context: UnsafeMutablePointer<AVFormatContext>?
    let packet: UnsafeMutablePointer<AVPacket>
    let videoStreamIndex: Int32
    let codec: UnsafePointer<AVCodec>
    let timeBase: AVRational
    /// Seconds per frame from the container's average frame rate (0 when unknown).
    let nominalFrameSeconds: Double
    private let control: ReaderControl

    /// Opens `source`, probes it and selects its best video stream. Blocking; honours `control`'s stop and deadline.
    init(source: VideoSource, control: ReaderControl, ioTimeoutMs: Int) throws(IngestError) {
        self.control = control
        guard let allocated = avformat_alloc_context() else { throw IngestError(description: "out of memory") }
        allocated.pointee.interrupt_callback = AVIOInterruptCB(
            callback: { opaque in
                guard let opaque else { return 0 }
                return Unmanaged<ReaderControl>.fromOpaque(opaque).takeUnretainedValue().shouldInterrupt() ? 1 : 0
            },
            opaque: Unmanaged.passUnretained(control).toOpaque())

        var options: OpaquePointer?
        defer { av_dict_free(&options) }
        if case .rtsp = source {
            av_dict_set(&options, "rtsp_transport", "tcp", 0)
        }
        var opened: UnsafeMutablePointer<AVFormatContext>? = allocated
        control.armDeadline(milliseconds: ioTimeoutMs)
        defer { control.disarmDeadline() }
        let openResult = avformat_open_input(&opened, source.ffmpegURL, nil, &options)
        guard openResult >= 0, let opened else {
            // avformat_open_input frees the context on failure.
            throw IngestError(description: Self.explainOpenFailure(openResult, source: source, control: control))
        }
        context = opened

        control.armDeadline(milliseconds: max(ioTimeoutMs, 10_000))
        let probeResult = avformat_find_stream_info(opened, nil)
        guard probeResult >= 0 else {
            avformat_close_input(&context)
            throw IngestError(description: "cannot read stream information: \(Self.reason(probeResult, control))")
        }
        var decoder: UnsafePointer<AVCodec>?
        let best = av_find_best_stream(opened, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0)
        guard best >= 0, let decoder, let stream = opened.pointee.streams[Int(best)] else {
            avformat_close_input(&context)
            throw IngestError(
                description: best == ra_averror_decoder_not_found()
                    ? "no decoder for its video codec in this FFmpeg build"
                    : "has no video stream")
        }
        videoStreamIndex = best
        codec = decoder
        timeBase = stream.pointee.time_base
        let rate = stream.pointee.avg_frame_rate.num > 0 ? stream.pointee.avg_frame_rate : stream.pointee.r_frame_rate
        nominalFrameSeconds = rate.num > 0 && rate.den > 0 ? Double(rate.den) / Double(rate.num) : 0
        guard let packet = av_packet_alloc() else {
            avformat_close_input(&context)
            throw IngestError(description: "out of memory")
        }
        self.packet = packet
    }

    deinit {
        var packet: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&packet)
        avformat_close_input(&context)
    }

    var codecParameters: UnsafeMutablePointer<AVCodecParameters> {
        context!.pointee.streams[Int(videoStreamIndex)]!.pointee.codecpar
    }

    /// Reads the next packet into `packet` (unref'd by the caller). Returns FFmpeg's result code.
    func readPacket(ioTimeoutMs: Int) -> Int32 {
        control.armDeadline(milliseconds: ioTimeoutMs)
        defer { control.disarmDeadline() }
        return av_read_frame(context, packet)
    }

    /// Seeks back to the start of a file for looping. Returns false when the format cannot seek.
    func rewind() -> Bool {
        let start = context!.pointee.start_time
        let target = start == Int64.min ? 0 : start
        return av_seek_frame(context, -1, target, AVSEEK_FLAG_BACKWARD) >= 0
    }

    /// Text for a failed read, distinguishing a timeout (dead source) from FFmpeg's own errors.
    static func reason(_ code: Int32, _ control: ReaderControl) -> String {
        if code == ra_averror_exit() && control.deadlineExpired {
            return "no data within the I/O timeout (source stalled or unreachable)"
        }
        return ffmpegErrorText(code)
    }

    private static func explainOpenFailure(_ code: Int32, source: VideoSource, control: ReaderControl) -> String {
        let cause = reason(code, control)
        switch source {
        case .file(let path):
            if code == ra_averror_enoent() {
                return
                    "cannot open '\(path)': file not found; check the stream's url (relative paths are resolved against the config file's folder)"
            }
            return "cannot open '\(path)': \(cause); check that it is a readable video file"
        case .rtsp(let url), .http(let url):
            return "cannot open '\(url)': \(cause); check that the camera or server is up and the URL is right"
        }
    }
}
