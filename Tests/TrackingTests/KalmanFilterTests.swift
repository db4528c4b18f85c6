import Testing

@testable import Tracking

@Suite("Kalman filter", .timeLimit(.minutes(1)))
struct KalmanFilterTests {
    @Test("a box moving at constant velocity is learned and extrapolated over a time gap")
    func constantVelocity() {
        var filter = KalmanFilter(measurement: [100, 200, 0.5, 80])
        for step in 1...30 {
            filter.predict()
            filter.update(measurement: [100 + 5 * Double(step), 200 - 2 * Double(step), 0.5, 80])
        }
        #expect(
            abs(filter.mean[4] - 5) < 0.2 && abs(filter.mean[5] + 2) < 0.2, "vx \(filter.mean[4]) vy \(filter.mean[5])")
        let x = filter.mean[0]
        filter.predict(dt: 3)
        #expect(abs(filter.mean[0] - (x + 3 * filter.mean[4])) < 1e-9)
        #expect(abs(filter.mean[0] - (100 + 5 * 33)) < 2)
    }

    @Test("predicting by dt moves the mean like dt single steps and grows uncertainty with the gap")
    func timeGap() {
        var once = KalmanFilter(measurement: [50, 60, 1, 40])
        once.predict()
        once.update(measurement: [53, 61, 1, 40])
        var stepwise = once, jump = once
        stepwise.predict()
        stepwise.predict()
        jump.predict(dt: 2)
        for i in 0..<8 { #expect(abs(stepwise.mean[i] - jump.mean[i]) < 1e-9) }
        var short = once
        short.predict(dt: 1)
        #expect(jump.covariance(0, 0) > short.covariance(0, 0))
    }

    @Test("matches the textbook matrix form of the predict and update equations")
    func textbookForm() {
        var filter = KalmanFilter(measurement: [320, 240, 0.4, 120])
        var mean = (0..<8).map { filter.mean[$0] }
        var covariance = (0..<8).map { i in (0..<8).map { j in filter.covariance(i, j) } }
        let steps: [(dt: Double, z: [Double])] = [
            (1, [324, 238, 0.41, 121]), (3, [335, 233, 0.4, 124]), (2.5, [344, 229, 0.39, 126]),
        ]
        for (dt, z) in steps {
            filter.predict(dt: dt)
            filter.update(measurement: SIMD4(z[0], z[1], z[2], z[3]))
            (mean, covariance) = Self.reference(mean, covariance, dt: dt, z: z)
            for i in 0..<8 {
                #expect(abs(filter.mean[i] - mean[i]) < 1e-9 * max(1, abs(mean[i])))
                for j in 0..<8 {
                    #expect(abs(filter.covariance(i, j) - covariance[i][j]) < 1e-9 * max(1, abs(covariance[i][j])))
                }
            }
        }
    }

    /// Predict and update written as plain matrix algebra (F, Q, H, R, an explicit inverse by Gauss-Jordan).
    static func reference(_ x: [Double], _ p: [[Double]], dt: Double, z: [Double]) -> ([Double], [[Double]]) {
        func multiply(_ a: [[Double]], _ b: [[Double]]) -> [[Double]] {
            a.map { row in (0..<b[0].count).map { j in zip(row, b).reduce(0) { $0 + $1.0 * $1.1[j] } } }
        }
        func transpose(_ a: [[Double]]) -> [[Double]] { (0..<a[0].count).map { j in a.map { $0[j] } } }
        func inverse(_ a: [[Double]]) -> [[Double]] {
            let n = a.count
            var m = a.enumerated().map { i, row in row + (0..<n).map { $0 == i ? 1.0 : 0 } }
            for c in 0..<n {
                let pivot = (c..<n).max { abs(m[$0][c]) < abs(m[$1][c]) }!
                m.swapAt(c, pivot)
                let d = m[c][c]
                m[c] = m[c].map { $0 / d }
                for r in 0..<n where r != c {
                    let f = m[r][c]
                    m[r] = zip(m[r], m[c]).map { $0 - f * $1 }
                }
            }
            return m.map { Array($0[n...]) }
        }
        let h0 = x[3]
        let f = (0..<8).map { i in (0..<8).map { j in i == j ? 1.0 : (j == i + 4 ? dt : 0) } }
        let q = [h0 / 20, h0 / 20, 1e-2, h0 / 20, h0 / 160, h0 / 160, 1e-5, h0 / 160].map { $0 * $0 * dt }
        let xp = multiply(f, x.map { [$0] }).map { $0[0] }
        var pp = multiply(multiply(f, p), transpose(f))
        for i in 0..<8 { pp[i][i] += q[i] }
        let hm = (0..<4).map { i in (0..<8).map { j in i == j ? 1.0 : 0 } }
        let h1 = xp[3]
        let r = [h1 / 20, h1 / 20, 1e-1, h1 / 20].map { $0 * $0 }
        var s = multiply(multiply(hm, pp), transpose(hm))
        for i in 0..<4 { s[i][i] += r[i] }
        let k = multiply(multiply(pp, transpose(hm)), inverse(s))
        let innovation = (0..<4).map { z[$0] - xp[$0] }
        let xn = (0..<8).map { i in xp[i] + (0..<4).reduce(0) { $0 + k[i][$1] * innovation[$1] } }
        let khp = multiply(k, multiply(hm, pp))
        let pn = (0..<8).map { i in (0..<8).map { j in pp[i][j] - khp[i][j] } }
        return (xn, pn)
    }

    @Test("an update lands between the prediction and the measurement, and the covariance stays symmetric")
    func update() {
        var filter = KalmanFilter(measurement: [10, 10, 1, 20])
        filter.predict()
        filter.update(measurement: [14, 10, 1, 20])
        #expect(filter.mean[0] > 10 && filter.mean[0] < 14)
        for i in 0..<8 {
            #expect(filter.covariance(i, i) > 0)
            for j in 0..<8 { #expect(abs(filter.covariance(i, j) - filter.covariance(j, i)) < 1e-9) }
        }
        let box = filter.box
        #expect(abs((box.x2 - box.x1) - filter.mean[2] * filter.mean[3]) < 1e-9)
    }
}
