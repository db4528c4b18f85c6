import CFFmpeg

/// An opened video decoder (AVCodecContext) and the frame it decodes into. Used only on its reader thread.
final class VideoDecoder {
    private var context: UnsafeMutablePointer<AVCodecContext>?
    let frame: UnsafeMutablePointer<AVFrame>

    init(input: MediaInput, threads: Int) throws(IngestError) {
        guard let context = avcodec_alloc_context3(input.codec), let frame = av_frame_alloc() else {
            throw IngestError(description: "out of memory")
        }
        self.context = context
        self.frame = frame
        var result = avcodec_parameters_to_context(context, input.codecParameters)
        if result >= 0 {
            context.pointee.thread_count = Int32(threads)
            context.pointee.pkt_timebase = input.timeBase
            result = avcodec_open2(context, input.codec, nil)
        }
        guard result >= 0 else {
            throw IngestError(
                description:
                    "cannot open the \(String(cString: input.codec.pointee.name)) decoder: \(ffmpegErrorText(result))")
        }
    }

    deinit {
        var frame: UnsafeMutablePointer<AVFrame>? = frame
        av_frame_free(&frame)
        avcodec_free_context(&context)
    }

    var codecName: String { String(cString: context!.pointee.codec.pointee.name) }

    /// Feeds a packet (nil = end of stream, to drain buffered frames).
    func send(_ packet: UnsafeMutablePointer<AVPacket>?) -> Int32 {
        avcodec_send_packet(context, packet)
    }

    /// Decodes the next frame into `frame`; returns 0, AVERROR(EAGAIN) (needs input), AVERROR_EOF or an error.
    func receive() -> Int32 {
        avcodec_receive_frame(context, frame)
    }

    /// Resets the decoder after a seek or a drain so it accepts packets again.
    func flush() {
        avcodec_flush_buffers(context)
    }
}
