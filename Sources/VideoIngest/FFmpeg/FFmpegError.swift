import CFFmpeg

/// FFmpeg's text for an error code, e.g. "No such file or directory".
func ffmpegErrorText(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    if av_strerror(code, &buffer, buffer.count) < 0 {
        return "FFmpeg error \(code)"
    }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Why a source could not be opened or read, as one line for the user.
struct IngestError: Error, CustomStringConvertible {
    var description: String
}
