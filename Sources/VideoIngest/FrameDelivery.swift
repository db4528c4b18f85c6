import VideoFrames

/// Where a reader hands its frames: the pipeline's newest-frame mailbox of that stream.
public protocol FrameDelivery: AnyObject, Sendable {
    /// Live delivery: replaces an older frame of the same stream that nobody took yet (that one is counted as dropped).
    /// Never blocks.
    func deliverNewest(_ frame: Frame)
    /// Lossless delivery for offline file processing: waits until the stream's previous frame was taken. Returns
    /// false, without delivering, when `control` is stopped meanwhile.
    func deliverWaiting(_ frame: Frame, control: ReaderControl) -> Bool
}
