import AnalyticsCore
import CFFmpeg

/// Downscales an I420 frame into a preview canvas (swscale, I420 to I420: no colour conversion, the cheapest path).
/// Owns the SwsContext, cached and rebuilt only when the source or target size changes. Not thread-safe: one per
/// renderer.
final class PreviewScaler {
    private var context: OpaquePointer?

    deinit {
        sws_freeContext(context)
    }

    /// Scales `pixels` to the size of `canvas`.
    func scale(_ pixels: PixelBuffer, into canvas: I420Canvas) throws(PreviewError) {
        context = sws_getCachedContext(
            context, Int32(pixels.width), Int32(pixels.height), AV_PIX_FMT_YUV420P,
            Int32(canvas.width), Int32(canvas.height), AV_PIX_FMT_YUV420P, SWS_BILINEAR, nil, nil, nil)
        guard let context else {
            throw PreviewError(
                description: "cannot scale \(pixels.width)x\(pixels.height) to \(canvas.width)x\(canvas.height)")
        }
        let source = UnsafePointer(pixels.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
        let lumaSize = pixels.width * pixels.height
        let chromaSize = (pixels.width / 2) * (pixels.height / 2)
        // swscale reads four plane pointers and strides (the fourth is alpha), so pass four, the last empty.
        // Temporary allocations live on the stack: nothing is allocated per frame.
        let rows = withUnsafeTemporaryAllocation(of: UnsafePointer<UInt8>?.self, capacity: 4) { sourcePlanes in
            withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<UInt8>?.self, capacity: 4) { targetPlanes in
                withUnsafeTemporaryAllocation(of: Int32.self, capacity: 8) { strides in
                    sourcePlanes[0] = source
                    sourcePlanes[1] = source + lumaSize
                    sourcePlanes[2] = source + lumaSize + chromaSize
                    sourcePlanes[3] = nil
                    targetPlanes[0] = canvas.luma
                    targetPlanes[1] = canvas.cb
                    targetPlanes[2] = canvas.cr
                    targetPlanes[3] = nil
                    strides[0] = Int32(pixels.width)
                    strides[1] = Int32(pixels.width / 2)
                    strides[2] = Int32(pixels.width / 2)
                    strides[3] = 0
                    strides[4] = Int32(canvas.lumaStride)
                    strides[5] = Int32(canvas.chromaStride)
                    strides[6] = Int32(canvas.chromaStride)
                    strides[7] = 0
                    return sws_scale(
                        context, sourcePlanes.baseAddress, strides.baseAddress, 0, Int32(pixels.height),
                        targetPlanes.baseAddress, strides.baseAddress! + 4)
                }
            }
        }
        guard rows == Int32(canvas.height) else {
            throw PreviewError(description: "scaling the preview failed (\(rows) rows)")
        }
    }
}
