import CTurboJPEG

/// Owns a TurboJPEG compressor handle and the output buffer it encodes into; both are reused across frames.
/// Not thread-safe: one per renderer.
///
/// Encodes straight from I420 planes (`tjCompressFromYUVPlanes`), skipping the colour conversion and chroma
/// downsampling an RGB source would need. The output buffer is sized for the worst case (`tjBufSize`) and passed with
/// `TJFLAG_NOREALLOC`, so the library never reallocates it behind our back and the bytes handed out stay put.
final class JPEGCompressor {
    private let handle: tjhandle
    private var output: UnsafeMutablePointer<UInt8>?
    private var capacity = 0

    init() throws(PreviewError) {
        guard let handle = tjInitCompress() else {
            throw PreviewError(description: "cannot create a JPEG compressor: \(Self.errorText(nil))")
        }
        self.handle = handle
    }

    deinit {
        tjFree(output)
        tjDestroy(handle)
    }

    /// Encodes `canvas` with 4:2:0 subsampling at `quality` (1-100). The bytes stay valid until the next call.
    func compress(_ canvas: I420Canvas, quality: Int) throws(PreviewError) -> UnsafeRawBufferPointer {
        let width = Int32(canvas.width), height = Int32(canvas.height)
        let samp = Int32(TJSAMP_420.rawValue)
        let needed = Int(tjBufSize(width, height, samp))
        guard needed > 0, needed <= Int(Int32.max) else {
            throw PreviewError(description: "cannot encode a \(canvas.width)x\(canvas.height) JPEG")
        }
        if needed > capacity {
            tjFree(output)
            output = tjAlloc(Int32(needed))
            capacity = output == nil ? 0 : needed
            guard output != nil else {
                throw PreviewError(description: "cannot allocate \(needed) bytes for a JPEG")
            }
        }
        var jpeg = output
        var size = UInt(capacity)
        let status = withUnsafeTemporaryAllocation(of: UnsafePointer<UInt8>?.self, capacity: 3) { planes in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: 3) { strides in
                planes[0] = UnsafePointer(canvas.luma)
                planes[1] = UnsafePointer(canvas.cb)
                planes[2] = UnsafePointer(canvas.cr)
                strides[0] = Int32(canvas.lumaStride)
                strides[1] = Int32(canvas.chromaStride)
                strides[2] = Int32(canvas.chromaStride)
                return tjCompressFromYUVPlanes(
                    handle, planes.baseAddress, width, strides.baseAddress, height, samp, &jpeg, &size,
                    Int32(min(max(quality, 1), 100)), TJFLAG_NOREALLOC)
            }
        }
        guard status == 0, let jpeg else {
            throw PreviewError(description: "JPEG encoding failed: \(Self.errorText(handle))")
        }
        return UnsafeRawBufferPointer(start: jpeg, count: Int(size))
    }

    private static func errorText(_ handle: tjhandle?) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "unknown error" }
        return String(cString: text)
    }
}
