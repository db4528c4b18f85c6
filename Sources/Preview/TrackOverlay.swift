import Messages

/// Draws tracks (box outline plus label) on a preview canvas whose size may differ from the working frame the
/// track coordinates refer to.
struct TrackOverlay {
    let canvas: I420Canvas
    /// Working-frame pixels to canvas pixels.
    let scaleX: Float
    let scaleY: Float
    /// Size of one font pixel: 2 on previews at least 480 wide, where 7-pixel text would be hard to read.
    let textScale: Int

    static let lineWidth = 2

    init(canvas: I420Canvas, sourceWidth: Int, sourceHeight: Int) {
        self.canvas = canvas
        scaleX = Float(canvas.width) / Float(sourceWidth)
        scaleY = Float(canvas.height) / Float(sourceHeight)
        textScale = canvas.width >= 480 ? 2 : 1
    }

    /// Draws one track. Boxes with a NaN corner, no area, or nothing inside the image draw nothing; the rest are
    /// clipped to the image.
    func draw(_ track: Track, label: LabelText) {
        guard let left = pixel(min(track.x1, track.x2), scaleX), let right = pixel(max(track.x1, track.x2), scaleX),
            let top = pixel(min(track.y1, track.y2), scaleY), let bottom = pixel(max(track.y1, track.y2), scaleY),
            left < right, top < bottom,
            left < canvas.width, right > 0, top < canvas.height, bottom > 0
        else { return }
        // Edges on even coordinates put each 2-pixel line on exactly one row or column of chroma samples, so lines
        // keep their colour instead of blending with the scene at half resolution.
        let x0 = left & ~1, y0 = top & ~1, x1 = (right + 1) & ~1, y1 = (bottom + 1) & ~1
        let color = YUVColor.forClass(track.classID)
        canvas.strokeRectangle(x0: x0, y0: y0, x1: x1, y1: y1, thickness: Self.lineWidth, color: color)
        label.compose(for: track)
        drawLabel(label.bytes, color: color, boxLeft: x0, boxTop: y0)
    }

    /// The label sits on the box's top edge, outside it, or inside from the top when there is no room above; it is
    /// kept within the image horizontally when it fits.
    private func drawLabel(_ text: UnsafeBufferPointer<UInt8>, color: YUVColor, boxLeft: Int, boxTop: Int) {
        let scale = textScale
        // One font pixel of padding around the text, rounded up to even sizes to stay on the chroma grid.
        let width = ((BitmapFont.glyphCount(text) * BitmapFont.advance + 1) * scale + 1) & ~1
        let height = ((BitmapFont.glyphHeight + 2) * scale + 1) & ~1
        let x = max(0, min(max(boxLeft, 0), canvas.width - width)) & ~1
        let y = boxTop - height >= 0 ? boxTop - height : max(boxTop, 0)
        canvas.fill(x0: x, y0: y, x1: x + width, y1: y + height, color: color)
        BitmapFont.draw(
            text, on: canvas, x: x + scale, y: y + scale, scale: scale, color: .labelText, chroma: scale % 2 == 0)
    }

    /// A working-frame coordinate in canvas pixels, nil for NaN. Infinities and absurd values are clamped to a range
    /// far outside any image but safe for integer arithmetic.
    private func pixel(_ value: Float, _ scale: Float) -> Int? {
        let scaled = value * scale
        guard !scaled.isNaN else { return nil }
        let limit: Float = 16_777_216
        return Int(min(max(scaled, -limit), limit).rounded())
    }
}
