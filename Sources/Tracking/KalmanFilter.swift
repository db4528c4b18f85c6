/// ByteTrack's constant-velocity Kalman filter over a box as (center x, center y, aspect ratio w/h, height) and
/// their velocities, with the published noise model (position noise 1/20 and velocity noise 1/160 of the height).
///
/// Detection runs at a subsampled rate, so `predict(dt:)` takes the gap since the last step in frames of the
/// source's nominal rate (or any unit, consistently): the motion model moves by `velocity * dt` and the process
/// noise, a random walk, grows linearly with `dt`. With `dt = 1` everything equals the published filter.
public struct KalmanFilter: Sendable {
    /// x, y, a, h, vx, vy, va, vh.
    public private(set) var mean: [Double]
    /// 8x8, row-major.
    public private(set) var covariance: [Double]

    static let positionWeight = 1.0 / 20
    static let velocityWeight = 1.0 / 160

    /// Starts a track at measurement `xyah` with zero velocity.
    public init(measurement xyah: [Double]) {
        precondition(xyah.count == 4)
        mean = xyah + [0, 0, 0, 0]
        let h = xyah[3]
        let p = Self.positionWeight, v = Self.velocityWeight
        let std = [2 * p * h, 2 * p * h, 1e-2, 2 * p * h, 10 * v * h, 10 * v * h, 1e-5, 10 * v * h]
        covariance = [Double](repeating: 0, count: 64)
        for i in 0..<8 { covariance[i * 8 + i] = std[i] * std[i] }
    }

    /// The box as (x1, y1, x2, y2).
    public var box: (x1: Double, y1: Double, x2: Double, y2: Double) {
        let w = mean[2] * mean[3], h = mean[3]
        return (mean[0] - w / 2, mean[1] - h / 2, mean[0] + w / 2, mean[1] + h / 2)
    }

    /// Stops the height from drifting while a track is not observed (as the published tracker does for lost tracks).
    public mutating func zeroHeightVelocity() {
        mean[7] = 0
    }

    /// Advances the state by `dt` (1 = one frame).
    public mutating func predict(dt: Double = 1) {
        let h = mean[3]
        let p = Self.positionWeight, v = Self.velocityWeight
        let std = [p * h, p * h, 1e-2, p * h, v * h, v * h, 1e-5, v * h]
        // mean = F mean, with F = [[I, dt I], [0, I]].
        for i in 0..<4 { mean[i] += dt * mean[4 + i] }
        // covariance = F P F^T + Q * dt, expanded by blocks: P = [[A, B], [B^T, D]].
        var next = covariance
        for i in 0..<4 {
            for j in 0..<4 {
                let a = covariance[i * 8 + j], b = covariance[i * 8 + 4 + j]
                let bt = covariance[(4 + i) * 8 + j], d = covariance[(4 + i) * 8 + 4 + j]
                next[i * 8 + j] = a + dt * (b + bt) + dt * dt * d
                next[i * 8 + 4 + j] = b + dt * d
                next[(4 + i) * 8 + j] = bt + dt * d
                next[(4 + i) * 8 + 4 + j] = d
            }
        }
        for i in 0..<8 { next[i * 8 + i] += std[i] * std[i] * dt }
        covariance = next
    }

    /// Corrects the state with measurement `xyah`.
    public mutating func update(measurement xyah: [Double]) {
        precondition(xyah.count == 4)
        let h = mean[3]
        let p = Self.positionWeight
        let noise = [p * h, p * h, 1e-1, p * h]
        // Innovation covariance S = H P H^T + R (the top-left 4x4 block plus R).
        var s = [Double](repeating: 0, count: 16)
        for i in 0..<4 {
            for j in 0..<4 { s[i * 4 + j] = covariance[i * 8 + j] }
            s[i * 4 + i] += noise[i] * noise[i]
        }
        guard let cholesky = Self.cholesky4(s) else { return }
        // Kalman gain K = P H^T S^-1 (8x4): solve S K^T = (P H^T)^T = H P, row by row of K.
        var gain = [Double](repeating: 0, count: 32)
        for row in 0..<8 {
            let pht = (0..<4).map { covariance[row * 8 + $0] }
            let solved = Self.solve4(cholesky, pht)
            for j in 0..<4 { gain[row * 4 + j] = solved[j] }
        }
        let innovation = (0..<4).map { xyah[$0] - mean[$0] }
        for row in 0..<8 {
            var correction = 0.0
            for j in 0..<4 { correction += gain[row * 4 + j] * innovation[j] }
            mean[row] += correction
        }
        // P = P - K S K^T = P - K (H P).
        var next = covariance
        for row in 0..<8 {
            for column in 0..<8 {
                var value = 0.0
                for j in 0..<4 { value += gain[row * 4 + j] * covariance[j * 8 + column] }
                next[row * 8 + column] -= value
            }
        }
        covariance = next
    }

    /// Lower-triangular L with S = L L^T, or nil when S is not positive definite.
    static func cholesky4(_ s: [Double]) -> [Double]? {
        var l = [Double](repeating: 0, count: 16)
        for i in 0..<4 {
            for j in 0...i {
                var sum = s[i * 4 + j]
                for k in 0..<j { sum -= l[i * 4 + k] * l[j * 4 + k] }
                if i == j {
                    guard sum > 0 else { return nil }
                    l[i * 4 + i] = sum.squareRoot()
                } else {
                    l[i * 4 + j] = sum / l[j * 4 + j]
                }
            }
        }
        return l
    }

    /// x with L L^T x = b.
    static func solve4(_ l: [Double], _ b: [Double]) -> [Double] {
        var y = [Double](repeating: 0, count: 4)
        for i in 0..<4 {
            var sum = b[i]
            for k in 0..<i { sum -= l[i * 4 + k] * y[k] }
            y[i] = sum / l[i * 4 + i]
        }
        var x = [Double](repeating: 0, count: 4)
        for i in stride(from: 3, through: 0, by: -1) {
            var sum = y[i]
            for k in (i + 1)..<4 { sum -= l[k * 4 + i] * x[k] }
            x[i] = sum / l[i * 4 + i]
        }
        return x
    }
}
