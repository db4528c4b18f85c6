import Testing
import Tracking

@Suite("Box geometry", .timeLimit(.minutes(1)))
struct BoxGeometryTests {
    @Test("IoU of equal, disjoint, half-overlapping and empty boxes")
    func intersectionOverUnion() {
        let box = Box(x1: 0, y1: 0, x2: 10, y2: 10)
        #expect(box.iou(box) == 1)
        #expect(box.iou(Box(x1: 20, y1: 20, x2: 30, y2: 30)) == 0)
        #expect(abs(box.iou(Box(x1: 5, y1: 0, x2: 15, y2: 10)) - 1.0 / 3.0) < 1e-12)
        #expect(box.iou(Box(x1: 5, y1: 5, x2: 5, y2: 5)) == 0)
    }

    @Test("clipping clamps each corner to the image; a box wholly outside becomes empty")
    func clipping() {
        #expect(
            Box(x1: -5, y1: 10, x2: 700, y2: 500).clipped(width: 640, height: 480)
                == Box(x1: 0, y1: 10, x2: 640, y2: 480))
        #expect(Box(x1: 650, y1: 10, x2: 700, y2: 20).clipped(width: 640, height: 480).area == 0)
        let inside = Box(x1: 1, y1: 2, x2: 3, y2: 4)
        #expect(inside.clipped(width: 640, height: 480) == inside)
    }
}
