import Testing
@testable import Tracking

@Suite("Kalman filter")
struct KalmanFilterTests {
    @Test("a box moving at constant velocity is learned and extrapolated over a time gap")
    func constantVelocity() {
        var filter = KalmanFilter(measurement: [100, 200, 0.5, 80])
        for step in 1...30 {
            filter.predict()
            filter.update(measurement: [100 + 5 * Double(step), 200 - 2 * Double(step), 0.5, 80])
        }
        #expect(abs(filter.mean[4] - 5) < 0.2 && abs(filter.mean[5] + 2) < 0.2, "\(filter.mean)")
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
        #expect(jump.covariance[0] > short.covariance[0])
    }

    @Test("an update lands between the prediction and the measurement, and the covariance stays symmetric")
    func update() {
        var filter = KalmanFilter(measurement: [10, 10, 1, 20])
        filter.predict()
        filter.update(measurement: [14, 10, 1, 20])
        #expect(filter.mean[0] > 10 && filter.mean[0] < 14)
        for i in 0..<8 {
            #expect(filter.covariance[i * 8 + i] > 0)
            for j in 0..<8 { #expect(abs(filter.covariance[i * 8 + j] - filter.covariance[j * 8 + i]) < 1e-9) }
        }
        let box = filter.box
        #expect(abs((box.x2 - box.x1) - filter.mean[2] * filter.mean[3]) < 1e-9)
    }
}
