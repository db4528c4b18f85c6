import CFFmpeg
import VideoFrames

/// A drawable view of an I420 image whose rows may be padded (`lumaStride` >= `width`, `chromaStride` >= `width/2`).
///
/// Drawing primitives take any rectangle, however far outside the image, and touch only the part that is inside, so
/// callers never clip. Chroma is at half resolution: a rectangle writes every chroma sample it overlaps, so shapes
/// whose edges sit on even coordinates get exactly their own colour, and the others bleed at most one pixel.
/// Width and height are even. The canvas does not own its memory (`ScratchImage` does).
struct I420Canvas {
    let width: Int
    let height: Int
    let luma: UnsafeMutablePointer<UInt8>
    let lumaStride: Int
    let cb: UnsafeMutablePointer<UInt8>
    let cr: UnsafeMutablePointer<UInt8>
    let chromaStride: Int

    /// The canvas as a target for `ImageScaler`.
    var planes: ImagePlanes {
        ImagePlanes(
            width: width, height: height, format: AV_PIX_FMT_YUV420P, data: (luma, cb, cr, nil),
            strides: (Int32(lumaStride), Int32(chromaStride), Int32(chromaStride), 0))
    }

    /// Fills the rectangle `x0..<x1` x `y0..<y1` (luma and chroma) with `color`.
    func fill(x0: Int, y0: Int, x1: Int, y1: Int, color: YUVColor) {
        guard let area = clip(x0: x0, y0: y0, x1: x1, y1: y1) else { return }
        fillLuma(area, value: color.luma)
        // Every chroma sample that covers at least one pixel of the area; `area` is inside the image, so the
        // rounded-up ends stay inside the half-resolution planes.
        let cx0 = area.x0 / 2, cx1 = (area.x1 + 1) / 2
        for row in (area.y0 / 2)..<((area.y1 + 1) / 2) {
            (cb + row * chromaStride + cx0).update(repeating: color.cb, count: cx1 - cx0)
            (cr + row * chromaStride + cx0).update(repeating: color.cr, count: cx1 - cx0)
        }
    }

    /// Sets the luma of the rectangle `x0..<x1` x `y0..<y1` to `value`, leaving chroma alone: for details finer
    /// than the chroma grid (1-pixel glyph strokes), whose colour the surrounding area decides anyway.
    func fillLuma(x0: Int, y0: Int, x1: Int, y1: Int, value: UInt8) {
        guard let area = clip(x0: x0, y0: y0, x1: x1, y1: y1) else { return }
        fillLuma(area, value: value)
    }

    /// A `thickness`-pixel outline drawn inside the rectangle `x0..<x1` x `y0..<y1`.
    func strokeRectangle(x0: Int, y0: Int, x1: Int, y1: Int, thickness: Int, color: YUVColor) {
        fill(x0: x0, y0: y0, x1: x1, y1: min(y0 + thickness, y1), color: color)
        fill(x0: x0, y0: max(y1 - thickness, y0), x1: x1, y1: y1, color: color)
        fill(x0: x0, y0: y0, x1: min(x0 + thickness, x1), y1: y1, color: color)
        fill(x0: max(x1 - thickness, x0), y0: y0, x1: x1, y1: y1, color: color)
    }

    private struct Area {
        var x0, y0, x1, y1: Int
    }

    /// The part of the rectangle inside the image, nil when none is.
    private func clip(x0: Int, y0: Int, x1: Int, y1: Int) -> Area? {
        let area = Area(x0: max(x0, 0), y0: max(y0, 0), x1: min(x1, width), y1: min(y1, height))
        return area.x0 < area.x1 && area.y0 < area.y1 ? area : nil
    }

    private func fillLuma(_ area: Area, value: UInt8) {
        for row in area.y0..<area.y1 {
            (luma + row * lumaStride + area.x0).update(repeating: value, count: area.x1 - area.x0)
        }
    }
}
