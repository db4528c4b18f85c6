import CFFmpeg
import Testing
import VideoFrames

/// An I420 image: one flat colour (Y, Cb, Cr) with a block of another colour at `block`.
private func image(
    width: Int, height: Int, background: (UInt8, UInt8, UInt8), block: (x: Int, y: Int, size: Int),
    color: (UInt8, UInt8, UInt8)
) -> PixelBuffer {
    let buffer = PixelBuffer(width: width, height: height)
    let luma = buffer.lumaPlane, cb = buffer.cbPlane, cr = buffer.crPlane
    for y in 0..<height {
        for x in 0..<width {
            let inside = x >= block.x && x < block.x + block.size && y >= block.y && y < block.y + block.size
            luma[y * width + x] = inside ? color.0 : background.0
            if x % 2 == 0 && y % 2 == 0 {
                cb[(y / 2) * (width / 2) + x / 2] = inside ? color.1 : background.1
                cr[(y / 2) * (width / 2) + x / 2] = inside ? color.2 : background.2
            }
        }
    }
    return buffer
}

@Suite("Image scaler (swscale)", .timeLimit(.minutes(1)))
struct ImageScalerTests {
    /// Mid grey, and a BT.601 limited-range red (R 255, G 0, B 0 as Y 81, Cb 90, Cr 240).
    let grey: (UInt8, UInt8, UInt8) = (126, 128, 128)
    let red: (UInt8, UInt8, UInt8) = (81, 90, 240)

    @Test("I420 to I420 at the same size copies the pixels exactly; i420() hands back the buffer itself")
    func sameSizeCopies() throws {
        let source = image(width: 64, height: 48, background: grey, block: (16, 8, 16), color: red)
        let scaler = ImageScaler(filter: .bilinear)
        #expect(try scaler.i420(.i420(source), width: 64, height: 48) === source)
        let target = PixelBuffer(width: 64, height: 48)
        try scaler.scale(source.planes, into: target.planes)
        #expect(Array(target.bytes) == Array(source.bytes))
    }

    @Test("downscaled to planar RGB (the detector input): grey stays grey, the red block lands red, scaled in place")
    func downscaleToGBRP() throws {
        let source = image(width: 160, height: 120, background: grey, block: (80, 40, 40), color: red)
        let width = 80, height = 60
        var green = [UInt8](repeating: 0, count: width * height)
        var blue = green, redPlane = green
        try green.withUnsafeMutableBufferPointer { g in
            try blue.withUnsafeMutableBufferPointer { b in
                try redPlane.withUnsafeMutableBufferPointer { r in
                    try ImageScaler(filter: .area).scale(
                        source.planes,
                        into: .gbrp(
                            width: width, height: height, green: g.baseAddress!, blue: b.baseAddress!,
                            red: r.baseAddress!, stride: width))
                }
            }
        }
        func rgb(_ x: Int, _ y: Int) -> (Int, Int, Int) {
            (Int(redPlane[y * width + x]), Int(green[y * width + x]), Int(blue[y * width + x]))
        }
        let background = rgb(5, 5), block = rgb(50, 30)
        #expect(
            abs(background.0 - background.1) < 6 && abs(background.1 - background.2) < 6
                && abs(background.0 - 128) < 12, "grey became \(background)")
        #expect(block.0 > 220 && block.1 < 40 && block.2 < 40, "red became \(block)")
        // The block spans x 40..<60, y 20..<40 after halving: just outside it is grey again.
        #expect(rgb(37, 30).0 < 150 && rgb(62, 30).0 < 150 && rgb(50, 17).0 < 150 && rgb(50, 42).0 < 150)
    }

    @Test("a conversion swscale cannot make names both images")
    func impossibleConversionIsExplained() throws {
        let source = PixelBuffer(width: 64, height: 48)
        let target = PixelBuffer(width: 32, height: 24)
        var planes = target.planes
        planes.width = 0
        let error = #expect(throws: ImageScalerError.self) {
            try ImageScaler(filter: .bilinear).scale(source.planes, into: planes)
        }
        #expect(error?.description == "cannot convert 64x48 yuv420p to 0x24 yuv420p")
    }
}
