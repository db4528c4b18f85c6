import Synchronization

/// Packed 8-bit RGB pixels of one frame, recycled through a `PixelBufferPool` when the last reference goes away.
///
/// The reader fills the bytes before it publishes the frame and nobody writes them afterwards, which is what makes
/// sharing the buffer across threads safe.
public final class PixelBuffer: @unchecked Sendable {
    public let width: Int
    public let height: Int
    /// Bytes per row (width * 3, rows are not padded).
    public let stride: Int
    public let bytes: UnsafeMutableRawBufferPointer
    private let pool: PixelBufferPool?

    init(width: Int, height: Int, bytes: UnsafeMutableRawBufferPointer, pool: PixelBufferPool?) {
        self.width = width
        self.height = height
        self.stride = width * 3
        self.bytes = bytes
        self.pool = pool
    }

    /// A buffer outside any pool (tests, one-off frames).
    public convenience init(width: Int, height: Int) {
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: width * height * 3, alignment: 64)
        bytes.initializeMemory(as: UInt8.self, repeating: 0)
        self.init(width: width, height: height, bytes: bytes, pool: nil)
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
/// One pool per stream: a buffer is in the reader, in the mailbox, or with a worker, so a handful suffice. Buffers of
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

    /// A buffer for a `width` x `height` RGB frame; its contents are undefined.
    public func makeBuffer(width: Int, height: Int) -> PixelBuffer {
        let byteCount = width * height * 3
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
