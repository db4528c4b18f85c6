/// The memory previews are drawn in, kept across frames so steady-state rendering allocates nothing.
///
/// Rows are padded to 32 bytes and planes start on 64-byte boundaries, the alignment swscale's and libjpeg-turbo's
/// SIMD paths prefer. The allocation only grows: a smaller frame reuses a larger buffer.
final class ScratchImage {
    private var storage = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    deinit {
        storage.deallocate()
    }

    /// A canvas of `width` x `height` (even, positive) over this memory; its contents are undefined, and it is
    /// valid until the next call.
    func canvas(width: Int, height: Int) -> I420Canvas {
        let lumaStride = Self.padded(width, to: 32)
        let chromaStride = Self.padded(width / 2, to: 32)
        let lumaBytes = Self.padded(lumaStride * height, to: 64)
        let chromaBytes = Self.padded(chromaStride * (height / 2), to: 64)
        let needed = lumaBytes + 2 * chromaBytes
        if storage.count < needed {
            storage.deallocate()
            storage = UnsafeMutableRawBufferPointer.allocate(byteCount: needed, alignment: 64)
            storage.initializeMemory(as: UInt8.self, repeating: 0)
        }
        let base = storage.baseAddress!.assumingMemoryBound(to: UInt8.self)
        return I420Canvas(
            width: width, height: height, luma: base, lumaStride: lumaStride, cb: base + lumaBytes,
            cr: base + lumaBytes + chromaBytes, chromaStride: chromaStride)
    }

    private static func padded(_ value: Int, to alignment: Int) -> Int {
        (value + alignment - 1) / alignment * alignment
    }
}
