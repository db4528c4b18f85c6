import AnalyticsCore
import Foundation
import Messages
import Preview
import Testing
import VideoFrames

/// Box colours of the first palette entries as a JPEG viewer shows them.
private let red = RGB.displayed(220, 50, 47)  // class 0
private let green = RGB.displayed(40, 160, 60)  // class 1
private let blue = RGB.displayed(38, 110, 230)  // class 2
private let orange = RGB.displayed(230, 120, 0)  // class 3

/// JPEG error allowed on a box line (2-pixel lines next to a gradient ring a little).
private let lineTolerance = 24

private func track(
    _ id: Int, _ classID: Int, _ name: String?, _ x1: Float, _ y1: Float, _ x2: Float, _ y2: Float
)
    -> Track
{
    Track(trackID: id, classID: classID, className: name, confidence: 0.9, x1: x1, y1: y1, x2: x2, y2: y2)
}

extension PreviewRenderer {
    /// A synthetic I420 image rendered as a frame of its own size.
    fileprivate func render(
        _ pixels: PixelBuffer, tracks: [Track], maxWidth: Int, quality: Int
    ) throws
        -> UnsafeRawBufferPointer
    {
        try render(
            .i420(pixels), width: pixels.width, height: pixels.height, tracks: tracks, maxWidth: maxWidth,
            quality: quality)
    }
}

/// Renders and decodes, returning the image and the JPEG bytes (copied: the renderer reuses its buffer).
private func renderDecoded(
    _ renderer: PreviewRenderer, _ pixels: PixelBuffer, _ tracks: [Track], maxWidth: Int = 0, quality: Int = 90
) throws -> (image: RGBImage, jpeg: [UInt8]) {
    let jpeg = try renderer.render(pixels, tracks: tracks, maxWidth: maxWidth, quality: quality)
    return (try decodeJPEG(jpeg), Array(jpeg))
}

private func expectColor(
    _ image: RGBImage, _ x: Int, _ y: Int, _ expected: RGB, tolerance: Int = lineTolerance,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let actual = image[x, y]
    #expect(
        actual.maxDifference(to: expected) <= tolerance, "pixel (\(x), \(y)) is \(actual), expected \(expected)",
        sourceLocation: sourceLocation)
}

/// The gradient's own grey at a pixel.
private func expectSource(
    _ image: RGBImage, _ x: Int, _ y: Int, scale: Int = 1, sourceLocation: SourceLocation = #_sourceLocation
) {
    let value = TestFrames.gradientLuma(x: x * scale, y: y * scale)
    expectColor(image, x, y, RGB(value, value, value), tolerance: 8, sourceLocation: sourceLocation)
}

@Suite("Preview renderer", .timeLimit(.minutes(1)))
struct PreviewRendererTests {
    @Test("boxes in the class colour, untouched interior, labels above or inside")
    func boxesAndLabels() throws {
        let renderer = try PreviewRenderer()
        let frame = TestFrames.gradient()
        let person = track(7, 0, "person", 100, 120, 300, 400)
        // No room above (the label is 20 high with x2 text): the label goes inside the box, from its top.
        let untracked = track(-1, 2, nil, 400, 10, 600, 200)
        let plain = try renderDecoded(renderer, frame, [])
        let drawn = try renderDecoded(renderer, frame, [person, untracked])
        let image = drawn.image

        #expect(renderer.lastSize == (640, 480))
        #expect(image.width == 640 && image.height == 480)

        // Person: 2-pixel outline on every side.
        for (x, y) in [(100, 250), (101, 250), (298, 250), (299, 250), (200, 120), (200, 121), (200, 398), (200, 399)] {
            expectColor(image, x, y, red)
        }
        // Just outside and well inside the outline, the scene is intact.
        expectSource(image, 96, 250)
        expectSource(image, 304, 250)
        for (x, y) in [(200, 260), (140, 300), (260, 180)] {
            expectSource(image, x, y)
            #expect(image[x, y].maxDifference(to: plain.image[x, y]) <= 2)
        }
        // Untracked box: outline in class 2's colour.
        for (x, y) in [(400, 100), (599, 100), (500, 198), (500, 199)] {
            expectColor(image, x, y, blue)
        }
        expectSource(image, 500, 120)

        // "7 person" above the person box (x 100..<198, y 100..<120): box-coloured background with light text.
        #expect(image.meanDifference(from: plain.image, x0: 102, y0: 104, x1: 196, y1: 118) > 30)
        #expect(image.contains(x0: 100, y0: 100, x1: 198, y1: 120) { $0.r > 200 && $0.g > 200 && $0.b > 200 })
        #expect(image.contains(x0: 100, y0: 100, x1: 198, y1: 120) { $0.maxDifference(to: red) <= lineTolerance })
        expectSource(image, 150, 90)  // above the label
        expectSource(image, 230, 110)  // right of the label, above the box

        // "class 2" inside the untracked box's top (x 400..<486, y 10..<30).
        #expect(image.meanDifference(from: plain.image, x0: 402, y0: 12, x1: 484, y1: 26) > 30)
        #expect(image.contains(x0: 400, y0: 10, x1: 486, y1: 30) { $0.r > 200 && $0.g > 200 && $0.b > 200 })
        expectSource(image, 500, 4)  // nothing above the box
    }

    @Test("maxWidth downscales the image and the boxes with it")
    func downscaling() throws {
        let renderer = try PreviewRenderer()
        let frame = TestFrames.gradient()
        let person = track(3, 0, "person", 100, 120, 300, 400)
        let (image, _) = try renderDecoded(renderer, frame, [person], maxWidth: 320)
        #expect(renderer.lastSize == (320, 240))
        #expect(image.width == 320 && image.height == 240)
        // The box is now 50, 60, 150, 200.
        for (x, y) in [(50, 130), (51, 130), (148, 130), (149, 130), (100, 198), (100, 199), (100, 60), (100, 61)] {
            expectColor(image, x, y, red)
        }
        // Where the unscaled box's left edge would be is now its interior.
        expectSource(image, 100, 150, scale: 2)
        expectSource(image, 46, 130, scale: 2)
        expectSource(image, 154, 130, scale: 2)

        // Odd limits still give even dimensions, in proportion.
        _ = try renderer.render(frame, tracks: [person], maxWidth: 333, quality: 75)
        #expect(renderer.lastSize == (332, 248))
        // No limit, or a limit the frame already meets: full size.
        _ = try renderer.render(frame, tracks: [person], maxWidth: 0, quality: 75)
        #expect(renderer.lastSize == (640, 480))
        _ = try renderer.render(frame, tracks: [person], maxWidth: 1280, quality: 75)
        #expect(renderer.lastSize == (640, 480))
    }

    @Test("the input frame is never modified")
    func inputUnchanged() throws {
        let renderer = try PreviewRenderer()
        let frame = TestFrames.scene()
        let before = Array(frame.bytes)
        let tracks = [track(1, 0, "person", 10, 10, 630, 470), track(2, 5, "bus", -50, 200, 300, 600)]
        for maxWidth in [0, 320] {
            _ = try renderer.render(frame, tracks: tracks, maxWidth: maxWidth, quality: 75)
            let unchanged = Array(frame.bytes) == before
            #expect(unchanged, "maxWidth \(maxWidth) changed the input")
        }
    }

    @Test("boxes outside the image, empty, NaN or infinite draw only what is inside")
    func degenerateBoxes() throws {
        let renderer = try PreviewRenderer()
        let frame = TestFrames.gradient()
        let nan = Float.nan, inf = Float.infinity
        let invisible = [
            track(1, 0, "person", -300, -200, -10, -5),  // left of and above the image
            track(2, 1, "car", 700, 500, 900, 800),  // right of and below
            track(3, 2, "dog", 640, 100, 700, 200),  // starts at the right border
            track(4, 3, "cat", 100, 100, 100, 100),  // zero size
            track(5, 3, "cat", 100, 100, 300, 100),  // zero height
            track(6, 0, "person", nan, 10, 100, 100),
            track(7, 0, "person", 10, nan, 100, 100),
            track(8, 0, "person", 10, 10, nan, 100),
            track(9, 0, "person", 10, 10, 100, nan),
            track(10, 0, "person", -inf, -inf, -inf, 100),
            track(11, 0, "person", 10, inf, 100, inf),
        ]
        let plain = try Array(renderer.render(frame, tracks: [], maxWidth: 0, quality: 80))
        let withInvisible = try Array(renderer.render(frame, tracks: invisible, maxWidth: 0, quality: 80))
        // Compared as a Bool: a failing comparison of two byte arrays would print both.
        let unchanged = withInvisible == plain
        #expect(unchanged, "boxes with nothing inside the image changed it")
        let downscaled = try Array(renderer.render(frame, tracks: [], maxWidth: 320, quality: 80))
        let downscaledUnchanged =
            try Array(renderer.render(frame, tracks: invisible, maxWidth: 320, quality: 80))
            == downscaled
        #expect(downscaledUnchanged, "boxes with nothing inside the downscaled image changed it")

        let partial = [
            track(1, 0, "person", -100, -100, 50, 50),  // top-left corner cut off
            track(2, 1, "car", 600, 440, 700, 520),  // bottom-right corner cut off
            track(3, 3, "bus", -inf, 200, inf, 260),  // infinitely wide
            track(4, 2, "Traffic Light ÉTÉ ?!", -1e30, -1e30, 1e30, 1e30),  // encloses the image
            track(123_456_789, -7, String(repeating: "long name ", count: 30), 500, 300, 520, 320),
            track(-1, Int.min, nil, 300, 300, 340, 340),
        ]
        let (image, _) = try renderDecoded(renderer, frame, partial)
        // Top-left box: only its right and bottom edges are inside, and its label sits inside from the top.
        expectColor(image, 48, 30, red)
        expectColor(image, 49, 30, red)
        expectColor(image, 30, 48, red)
        expectSource(image, 30, 30)
        // Bottom-right box: only its left and top edges are inside.
        expectColor(image, 600, 460, green)
        expectColor(image, 620, 440, green)
        expectSource(image, 620, 470)
        // The infinitely wide box: top and bottom lines across the image, no side edges.
        expectColor(image, 320, 200, orange)
        expectColor(image, 320, 259, orange)
        expectSource(image, 320, 230)
        expectSource(image, 2, 230)
        expectSource(image, 637, 230)
    }

    @Test("quality trades size")
    func qualityChangesSize() throws {
        let renderer = try PreviewRenderer()
        let frame = TestFrames.scene()
        let tracks = [track(1, 0, "person", 100, 120, 300, 400)]
        let low = try renderer.render(frame, tracks: tracks, maxWidth: 0, quality: 20).count
        let high = try renderer.render(frame, tracks: tracks, maxWidth: 0, quality: 95).count
        #expect(low < high, "q20 gave \(low) bytes, q95 \(high)")
        #expect(low * 2 < high)
    }

    @Test("a 640x480 q75 preview of a scene is tens of KB")
    func typicalSize() throws {
        let renderer = try PreviewRenderer()
        let tracks = [track(1, 0, "person", 100, 120, 300, 400), track(2, 2, "car", 380, 200, 600, 330)]
        let jpeg = try renderer.render(TestFrames.scene(), tracks: tracks, maxWidth: 0, quality: 75)
        // 22 KB here; DESIGN's measured 640x360 q75 frame is ~16 KB. Tens of KB: neither a blank image nor raw pixels.
        #expect(jpeg.count >= 10_000 && jpeg.count < 100_000, "\(jpeg.count) bytes")
        #expect(jpeg.count >= 2 && jpeg[0] == 0xFF && jpeg[1] == 0xD8)
        let image = try decodeJPEG(jpeg)
        #expect(image.width == 640 && image.height == 480)
    }
}
