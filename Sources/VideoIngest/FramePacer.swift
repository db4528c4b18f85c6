/// Releases file frames at the file's own rate, by presentation time, like a live camera.
///
/// Pacing follows PTS rather than a fixed frame interval, so variable-frame-rate files play correctly. A jump back in
/// PTS (the file looped) or a jump forward of more than `maximumJumpSeconds` rebases the clock instead of stalling or
/// bursting; when decoding falls more than `maximumLagSeconds` behind, the clock is rebased too, so a slow moment is
/// not followed by a burst of frames.
struct FramePacer {
    var maximumJumpSeconds = 2.0
    var maximumLagSeconds = 1.0
    private var anchorPTS: Double?
    private var anchorUptimeNs: UInt64 = 0
    private var lastPTS: Double = 0
    private var lastDueNs: UInt64 = 0
    private var nominalFrameSeconds: Double

    init(nominalFrameSeconds: Double) {
        self.nominalFrameSeconds = nominalFrameSeconds > 0 ? nominalFrameSeconds : 0.04
    }

    /// Monotonic time at which the frame with `pts` is due. Call in decode order.
    mutating func dueTime(forPTS pts: Double, now: UInt64) -> UInt64 {
        if anchorPTS == nil {
            anchor(pts: pts, at: now)
        } else {
            let step = pts - lastPTS
            if step <= 0 || step > maximumJumpSeconds {
                // Loop or discontinuity: continue one frame after the previous frame.
                anchor(pts: pts, at: lastDueNs + UInt64((nominalFrameSeconds * 1e9).rounded()))
            }
        }
        var due = anchorUptimeNs + UInt64((max(0, pts - (anchorPTS ?? pts)) * 1e9).rounded())
        if now > due, Double(now - due) / 1e9 > maximumLagSeconds {
            anchor(pts: pts, at: now)
            due = now
        }
        lastPTS = pts
        lastDueNs = due
        return due
    }

    private mutating func anchor(pts: Double, at uptimeNs: UInt64) {
        anchorPTS = pts
        anchorUptimeNs = uptimeNs
    }
}
