import Synchronization

/// The pixels of one frame in planar I420 (YUV 4:2:0, BT.601 as decoded): the Y plane (`width` x `height`), then U
/// and V (`width/2` x `height/2` each), rows unpadded. Recycled through a `PixelBufferPool` when the last reference
/// goes away.
///
/// I420 rather than RGB: decoders produce it, scaling in it is the cheapest swscale path (measured ~2.5x cheaper than
/// RGB24 output for vtest.avi), JPEG previews compress straight from its planes, and only the frames that are
/// actually analysed pay for a conversion to the detector's RGB input. Width and height are even.
///
/// The reader fills the bytes before it publishes the frame and nobody writes them afterwards, which is what makes
/// sharing the buffer across threads safe.
public final class PixelBuffer: @unchecked Sendable {
    public let width: Int
    public let height: Int
    public let bytes: UnsafeMutableRawBufferPointer
    private let pool: PixelBufferPool?
    /// Pixels not written yet (see `DeferredPixels`); nil once they are.
    private let deferred: Mutex<(any DeferredPixels)?>

    init(width: Int, height: Int, bytes: UnsafeMutableRawBufferPointer, pool: PixelBufferPool?,
         deferred: (any DeferredPixels)? = nil) {
        self.width = width
        self.height = height
        self.bytes = bytes
        self.pool = pool
        self.deferred = Mutex(deferred)
    }

    /// Writes deferred pixels now, on the calling thread, if this buffer was delivered with its conversion
    /// deferred; otherwise does nothing. Whoever takes a frame from the scheduler calls this before reading `bytes`.
    public func materialize() throws {
        try deferred.withLock { pending in
            guard let conversion = pending else { return }
            pending = nil
            try conversion.write(into: self)
        }
    }

    /// Whether the pixels are still to be written by `materialize()`.
    public var isDeferred: Bool { deferred.withLock { $0 != nil } }

    /// Bytes of an I420 frame of this size.
    public static func byteCount(width: Int, height: Int) -> Int {
        width * height + 2 * (width / 2) * (height / 2)
    }

    /// A black buffer outside any pool (tests, one-off frames).
    public convenience init(width: Int, height: Int) {
        precondition(width % 2 == 0 && height % 2 == 0, "I420 needs even dimensions")
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.byteCount(width: width, height: height), alignment: 64)
        bytes.initializeMemory(as: UInt8.self, repeating: 16)
        bytes[(width * height)...].initializeMemory(as: UInt8.self, repeating: 128)
        self.init(width: width, height: height, bytes: bytes, pool: nil)
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

/// A conversion into a buffer's pixels that has not run yet: the reader keeps a reference to the decoded frame and
/// converts it only if a worker takes the frame. Most live frames are replaced in their mailbox before any worker
/// takes them, so converting each on arrival would spend CPU (~0.3 ms a frame) on frames nobody reads.
public protocol DeferredPixels: Sendable {
    func write(into buffer: PixelBuffer) throws
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

    /// A buffer for a `width` x `height` I420 frame; its contents are undefined until written (or until
    /// `materialize()` runs `deferred`).
    public func makeBuffer(width: Int, height: Int, deferred: (any DeferredPixels)? = nil) -> PixelBuffer {
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
        return PixelBuffer(width: width, height: height, bytes: bytes, pool: self, deferred: deferred)
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
