import Testing

@testable import VideoIngest

@Suite("Motion meter", .timeLimit(.minutes(1)))
struct MotionMeterTests {
    /// A 640x360 luma plane: mid-grey with noise of ±`noise` levels, and a dark 24x48 box at `boxX` (nil: none).
    private func frame(boxX: Int?, noise: Int, seed: inout UInt64) -> [UInt8] {
        var pixels = [UInt8](repeating: 128, count: 640 * 360)
        for index in pixels.indices where noise > 0 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            pixels[index] = UInt8(128 + Int(seed >> 33) % (2 * noise + 1) - noise)
        }
        if let boxX {
            for y in 150..<198 { for x in boxX..<(boxX + 24) { pixels[y * 640 + x] = 30 } }
        }
        return pixels
    }

    private func measure(_ meter: inout MotionMeter, _ pixels: [UInt8]) -> Bool? {
        pixels.withUnsafeBufferPointer { meter.measure(luma: $0.baseAddress!, stride: 640, width: 640, height: 360) }
    }

    @Test("a still scene with sensor noise shows no motion; a small walker does")
    func stillAndMoving() {
        var seed: UInt64 = 7
        var still = MotionMeter()
        let stillFrames = (0..<30).map { _ in measure(&still, frame(boxX: 300, noise: 4, seed: &seed)) }
        #expect(stillFrames.prefix(MotionMeter.lag).allSatisfy { $0 == nil }, "unknown until there is an earlier grid")
        #expect(
            stillFrames.dropFirst(MotionMeter.lag).allSatisfy { $0 == false }, "noise alone must not count as motion")

        // A person-sized box walking 3 px per frame (30 px/s at 10 fps): slower than a cell per frame.
        var walking = MotionMeter()
        let moving = (0..<30).map { step in measure(&walking, frame(boxX: 100 + 3 * step, noise: 4, seed: &seed)) }
        #expect(moving.prefix(MotionMeter.lag).allSatisfy { $0 == nil }, "nothing to compare with yet")
        #expect(moving.dropFirst(MotionMeter.lag).allSatisfy { $0 == true }, "\(moving)")
    }

    @Test("an object appearing in a still scene is motion at once")
    func appearing() {
        var seed: UInt64 = 3
        var meter = MotionMeter()
        for _ in 0..<10 { _ = measure(&meter, frame(boxX: nil, noise: 2, seed: &seed)) }
        #expect(measure(&meter, frame(boxX: nil, noise: 2, seed: &seed)) == false)
        #expect(measure(&meter, frame(boxX: 400, noise: 2, seed: &seed)) == true)
    }
}
