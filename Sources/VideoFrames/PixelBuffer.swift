import CFFmpeg
import Synchronization

/// The pixels of one frame in planar I420 (YUV 4:2:0, BT.601 as decoded): the Y plane (`width` x `height`), then U
/// and V (`width/2` x `height/2` each), rows unpadded. Recycled through a `PixelBufferPool` when the last reference
/// goes away.
///
/// I420 rather than RGB: decoders produce it, scaling in it is the cheapest swscale path (measured ~2.5x cheaper than
/// RGB24 output for vtest.avi), JPEG previews compress straight from its planes, and only the frames that are
/// actually analysed pay for a conversion to the detector's RGB input. Width and height are even.
///
/// Whoever makes a buffer fills its bytes before sharing it and nobody writes them afterwards, which is what makes
/// sharing the buffer across threads safe.
public final class PixelBuffer: @unchecked Sendable {
    public let width: Int
    public let height: Int
    public let bytes: UnsafeMutableRawBufferPointer
    private let pool: PixelBufferPool?

    init(width: Int, height: Int, bytes: UnsafeMutableRawBufferPointer, pool: PixelBufferPool?) {
        self.width = width
        self.height = height
        self.bytes = bytes
        self.pool = pool
    }

    /// Bytes of an I420 frame of this size.
    public static func byteCount(width: Int, height: Int) -> Int {
        width * height + 2 * (width / 2) * (height / 2)
    }

    /// A black buffer outside any pool (tests, one-off frames).
    public convenience init(width: Int, height: Int) {
        precondition(width % 2 == 0 && height % 2 == 0, "I420 needs even dimensions")
        let bytes = UnsafeMutableRawBufferPointer.allocate(
            byteCount: Self.byteCount(width: width, height: height), alignment: 64)
        bytes.initializeMemory(as: UInt8.self, repeating: 16)
        bytes[(width * height)...].initializeMemory(as: UInt8.self, repeating: 128)
        self.init(width: width, height: height, bytes: bytes, pool: nil)
    }

    /// The three planes, for `ImageScaler` (as a source, or as the target that fills a new buffer).
    public var planes: ImagePlanes {
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let luma = width * height, chroma = (width / 2) * (height / 2)
        return ImagePlanes(
            width: width, height: height, format: AV_PIX_FMT_YUV420P,
            data: (base, base + luma, base + luma + chroma, nil),
            strides: (Int32(width), Int32(width / 2), Int32(width / 2), 0))
    }

    /// The luma plane: `height` rows of `width` bytes.
    public var lumaPlane: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: bytes[0..<(width * height)])
    }

    /// The U (Cb) plane: `height/2` rows of `width/2` bytes.
    public var cbPlane: UnsafeMutableRawBufferPointer {
        let size = (width / 2) * (height / 2)
        return UnsafeMutableRawBufferPointer(rebasing: bytes[(width * height)..<(width * height + size)])
    }

    /// The V (Cr) plane: `height/2` rows of `width/2` bytes.
    public var crPlane: UnsafeMutableRawBufferPointer {
        let size = (width / 2) * (height / 2)
        return UnsafeMutableRawBufferPointer(rebasing: bytes[(width * height + size)...])
    }

    deinit {
        if let pool {
            pool.recycle(bytes)
        } else {
            bytes.deallocate()
        }
    }
}

/// Reuses frame-sized allocations so steady-state decoding allocates no pixel memory.
///
/// One pool per owner (a worker's converter, a test): a handful of buffers suffice. Buffers of
/// a size that no longer matches (the source changed resolution) are freed instead of reused.
public final class PixelBufferPool: Sendable {
    /// A free allocation; only ever owned by one party (the free list or one buffer) at a time.
    private struct Storage: @unchecked Sendable {
        let bytes: UnsafeMutableRawBufferPointer
    }

    private let free = Mutex<(byteCount: Int, buffers: [Storage])>((0, []))
    private let maximumFree: Int

    public init(maximumFree: Int = 4) {
        self.maximumFree = maximumFree
    }

    /// A buffer for a `width` x `height` I420 frame; its contents are undefined until written.
    public func makeBuffer(width: Int, height: Int) -> PixelBuffer {
        let byteCount = PixelBuffer.byteCount(width: width, height: height)
        let reused: Storage? = free.withLock { state in
            if state.byteCount != byteCount {
                for buffer in state.buffers { buffer.bytes.deallocate() }
                state = (byteCount, [])
                return nil
            }
            return state.buffers.popLast()
        }
        let bytes = reused?.bytes ?? UnsafeMutableRawBufferPointer.allocate(byteCount: byteCount, alignment: 64)
        return PixelBuffer(width: width, height: height, bytes: bytes, pool: self)
    }

    fileprivate func recycle(_ bytes: UnsafeMutableRawBufferPointer) {
        let kept = free.withLock { state in
            guard state.byteCount == bytes.count, state.buffers.count < maximumFree else { return false }
            state.buffers.append(Storage(bytes: bytes))
            return true
        }
        if !kept { bytes.deallocate() }
    }

    deinit {
        free.withLock { state in
            for buffer in state.buffers { buffer.bytes.deallocate() }
        }
    }
}
