/// ByteTrack's constant-velocity Kalman filter over a box as (center x, center y, aspect ratio w/h, height) and
/// their velocities, with the published noise model (position noise 1/20 and velocity noise 1/160 of the height).
///
/// Detection runs at a subsampled rate, so `predict(dt:)` takes the gap since the last step in frames of the
/// source's nominal rate (or any unit, consistently): the motion model moves by `velocity * dt` and the process
/// noise, a random walk, grows linearly with `dt`. With `dt = 1` everything equals the published filter.
///
/// The state is held in SIMD rows (no heap storage): the tracker runs this for every track on every detected frame.
public struct KalmanFilter: Sendable {
    /// x, y, a, h, vx, vy, va, vh.
    public private(set) var mean: SIMD8<Double>
    /// The 8x8 covariance, one SIMD row per state variable.
    private var rows: InlineArray<8, SIMD8<Double>>

    static let positionWeight = 1.0 / 20
    static let velocityWeight = 1.0 / 160

    /// Starts a track at measurement `xyah` with zero velocity.
    public init(measurement xyah: SIMD4<Double>) {
        mean = SIMD8(lowHalf: xyah, highHalf: .zero)
        let h = xyah.w
        let p = 2 * Self.positionWeight * h, v = 10 * Self.velocityWeight * h
        let std = SIMD8<Double>(p, p, 1e-2, p, v, v, 1e-5, v)
        rows = .init(repeating: .zero)
        for i in 0..<8 { rows[i][i] = std[i] * std[i] }
    }

    /// Covariance entry (row, column).
    public func covariance(_ row: Int, _ column: Int) -> Double { rows[row][column] }

    /// The position part of the state: (x, y, a, h).
    public var xyah: SIMD4<Double> { mean.lowHalf }

    /// The box as (x1, y1, x2, y2).
    public var box: (x1: Double, y1: Double, x2: Double, y2: Double) {
        let w = mean[2] * mean[3], h = mean[3]
        return (mean[0] - w / 2, mean[1] - h / 2, mean[0] + w / 2, mean[1] + h / 2)
    }

    /// Stops the height from drifting while a track is not observed (as the published tracker does for lost tracks).
    public mutating func zeroHeightVelocity() {
        mean[7] = 0
    }

    /// Advances the state by `dt` (1 = one frame): mean = F mean, P = F P F^T + Q dt, F = [[I, dt I], [0, I]].
    public mutating func predict(dt: Double = 1) {
        let p = Self.positionWeight * mean[3], v = Self.velocityWeight * mean[3]
        let variance = SIMD8<Double>(p * p, p * p, 1e-4, p * p, v * v, v * v, 1e-10, v * v)
        mean.lowHalf += dt * mean.highHalf
        // F P: position rows gain dt times their velocity rows.
        for i in 0..<4 { rows[i] += dt * rows[i + 4] }
        // (F P) F^T: in every row, position columns gain dt times the velocity columns.
        for i in 0..<8 {
            var row = rows[i]
            row.lowHalf += dt * row.highHalf
            row[i] += variance[i] * dt
            rows[i] = row
        }
    }

    /// Corrects the state with measurement `xyah`.
    public mutating func update(measurement xyah: SIMD4<Double>) {
        let p = Self.positionWeight * mean[3]
        let noise = SIMD4<Double>(p * p, p * p, 1e-2, p * p)
        // H P: the first four rows. Innovation covariance S = H P H^T + R, factored as S = L L^T.
        let hp0 = rows[0], hp1 = rows[1], hp2 = rows[2], hp3 = rows[3]
        let s00 = hp0[0] + noise[0], s11 = hp1[1] + noise[1], s22 = hp2[2] + noise[2], s33 = hp3[3] + noise[3]
        guard s00 > 0 else { return }
        let l00 = s00.squareRoot()
        let l10 = hp1[0] / l00, l20 = hp2[0] / l00, l30 = hp3[0] / l00
        let d11 = s11 - l10 * l10
        guard d11 > 0 else { return }
        let l11 = d11.squareRoot()
        let l21 = (hp2[1] - l20 * l10) / l11, l31 = (hp3[1] - l30 * l10) / l11
        let d22 = s22 - l20 * l20 - l21 * l21
        guard d22 > 0 else { return }
        let l22 = d22.squareRoot()
        let l32 = (hp3[2] - l30 * l20 - l31 * l21) / l22
        let d33 = s33 - l30 * l30 - l31 * l31 - l32 * l32
        guard d33 > 0 else { return }  // not positive definite: a degenerate track, skip the correction
        let l33 = d33.squareRoot()
        // X = S^-1 H P (4x8) by forward then back substitution; the Kalman gain is K = P H^T S^-1 = X^T.
        // Multiplying by the diagonal's reciprocals: eight-wide divisions are the slowest step otherwise.
        let r00 = 1 / l00, r11 = 1 / l11, r22 = 1 / l22, r33 = 1 / l33
        let y0 = hp0 * r00
        let y1 = (hp1 - l10 * y0) * r11
        let y2 = (hp2 - l20 * y0 - l21 * y1) * r22
        let y3 = (hp3 - l30 * y0 - l31 * y1 - l32 * y2) * r33
        let x3 = y3 * r33
        let x2 = (y2 - l32 * x3) * r22
        let x1 = (y1 - l21 * x2 - l31 * x3) * r11
        let x0 = (y0 - l10 * x1 - l20 * x2 - l30 * x3) * r00
        let innovation = xyah - mean.lowHalf
        var correction: SIMD8<Double> = x0 * innovation[0]
        correction += x1 * innovation[1]
        correction += x2 * innovation[2]
        correction += x3 * innovation[3]
        mean += correction
        // P = P - K (H P) = P - X^T (H P).
        for i in 0..<8 {
            var khp: SIMD8<Double> = x0[i] * hp0
            khp += x1[i] * hp1
            khp += x2[i] * hp2
            khp += x3[i] * hp3
            rows[i] -= khp
        }
    }
}
