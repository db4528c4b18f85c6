/// A cheap per-stream motion signal for the scheduler: the luma plane of every decoded frame reduced to a coarse
/// grid of cell means (a sparse sample of each cell), compared with the grid of `lag` frames earlier (a slow walker
/// changes a cell by little from one frame to the next). A frame has motion when enough cells changed by more than
/// sensor and compression noise does. It costs a few thousand reads per frame, so the reader thread runs it on every
/// frame, including the many no worker will take.
struct MotionMeter {
    static let columns = 32, rows = 18
    /// Samples per cell side (a 4x4 sample of each cell is averaged).
    static let samples = 4
    /// Mean luma change of a cell that counts as changed (noise averages out over the cell's samples).
    static let cellThreshold = 6
    /// Cells that must change: one person far from the camera covers a few cells of a 32x18 grid.
    static let changedCells = 2

    /// Frames between the two grids compared.
    static let lag = 4

    /// The last `lag + 1` grids, the newest at `newest`.
    private var grids = [[Int32]](repeating: [Int32](repeating: 0, count: columns * rows), count: lag + 1)
    private var newest = 0
    private var measured = 0

    /// Measures one frame's 8-bit luma plane; true when it differs from the grid `lag` frames earlier, nil while
    /// there is none yet (or the frame is too small to measure): unknown, which the scheduler treats as motion.
    mutating func measure(luma: UnsafePointer<UInt8>, stride: Int, width: Int, height: Int) -> Bool? {
        guard width >= Self.columns * Self.samples, height >= Self.rows * Self.samples else { return nil }
        let cellWidth = width / Self.columns, cellHeight = height / Self.rows
        let stepX = cellWidth / Self.samples, stepY = cellHeight / Self.samples
        for row in 0..<Self.rows {
            for column in 0..<Self.columns {
                var sum: Int32 = 0
                let x0 = column * cellWidth + stepX / 2, y0 = row * cellHeight + stepY / 2
                for sy in 0..<Self.samples {
                    let line = luma + (y0 + sy * stepY) * stride + x0
                    for sx in 0..<Self.samples { sum += Int32(line[sx * stepX]) }
                }
                grids[(newest + 1) % grids.count][row * Self.columns + column] =
                    sum / Int32(Self.samples * Self.samples)
            }
        }
        newest = (newest + 1) % grids.count
        measured += 1
        guard measured > Self.lag else { return nil }
        // The oldest grid kept is the one `lag` frames back.
        let current = grids[newest], earlier = grids[(newest + 1) % grids.count]
        var changed = 0
        for cell in 0..<current.count where abs(current[cell] - earlier[cell]) > Int32(Self.cellThreshold) {
            changed += 1
            if changed >= Self.changedCells { return true }
        }
        return false
    }
}
