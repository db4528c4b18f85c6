/// Optimal matching of rows (tracks) to columns (detections) under a cost limit, as ByteTrack's
/// `linear_assignment(cost, thresh)` does with `lapjv(extend_cost=True, cost_limit=thresh)`.
///
/// Leaving a row or a column unmatched costs `limit / 2`, so a pair is matched only if that lowers the total:
/// the result minimises `sum(matched costs) + (unmatched rows + unmatched columns) * limit / 2`, which never matches a
/// pair whose cost exceeds `limit`. Solved exactly with the Hungarian method (shortest augmenting paths with
/// potentials, O(n³)) on the (rows + columns)-square extended matrix.
public enum LinearAssignment {
    /// Minimum-cost assignment of a rectangular matrix that pairs min(rows, columns) rows and columns, preferring
    /// fewer non-finite (forbidden) pairs above all, as scipy's `linear_sum_assignment` does when forbidden entries
    /// are replaced by a large cost. Forbidden pairs in the result are left out. Returns (row, column) pairs by row.
    public static func rectangular(cost: [Double], rows: Int, columns: Int) -> [(row: Int, column: Int)] {
        guard rows > 0, columns > 0 else { return [] }
        let size = max(rows, columns)
        var square = [Double](repeating: 0, count: size * size)
        for r in 0..<rows {
            for c in 0..<columns { square[r * size + c] = cost[r * columns + c] }
        }
        let assignment = hungarian(square, size: size, forbiddenCost: forbiddenCost(for: square, size: size))
        return (0..<rows).compactMap { row in
            let column = assignment[row]
            guard column < columns, cost[row * columns + column].isFinite else { return nil }
            return (row, column)
        }
    }

    public struct Solution: Equatable, Sendable {
        /// (row, column) pairs, by row.
        public var matches: [(row: Int, column: Int)]
        public var unmatchedRows: [Int]
        public var unmatchedColumns: [Int]

        public static func == (lhs: Solution, rhs: Solution) -> Bool {
            lhs.matches.map { [$0.row, $0.column] } == rhs.matches.map { [$0.row, $0.column] }
                && lhs.unmatchedRows == rhs.unmatchedRows && lhs.unmatchedColumns == rhs.unmatchedColumns
        }
    }

    /// `cost[row * columns + column]`, row-major.
    public static func solve(cost: [Double], rows: Int, columns: Int, limit: Double) -> Solution {
        precondition(cost.count == rows * columns, "cost must have rows * columns entries")
        if rows == 0 || columns == 0 {
            return Solution(matches: [], unmatchedRows: Array(0..<rows), unmatchedColumns: Array(0..<columns))
        }
        // Extended square matrix: [cost | limit/2 on the diagonal] over [limit/2 on the diagonal | 0]. Off-diagonal
        // dummy entries are forbidden (infinite) so each real row has exactly one "unmatched" slot.
        let size = rows + columns
        let half = limit / 2
        let forbidden = Double.infinity
        var extended = [Double](repeating: 0, count: size * size)
        for r in 0..<size {
            for c in 0..<size {
                let value: Double
                switch (r < rows, c < columns) {
                case (true, true): value = cost[r * columns + c].isFinite ? cost[r * columns + c] : forbidden
                case (true, false): value = (c - columns == r) ? half : forbidden
                case (false, true): value = (r - rows == c) ? half : forbidden
                case (false, false): value = 0
                }
                extended[r * size + c] = value
            }
        }
        let assignment = hungarian(extended, size: size, forbiddenCost: forbiddenCost(for: extended, size: size))
        var matches: [(row: Int, column: Int)] = []
        var matchedColumns = [Bool](repeating: false, count: columns)
        var unmatchedRows: [Int] = []
        for row in 0..<rows {
            let column = assignment[row]
            // A real pair is never worse than leaving both unmatched here, except when forced onto a forbidden
            // (infinite) entry, which counts as unmatched.
            if column < columns && cost[row * columns + column].isFinite && cost[row * columns + column] <= limit {
                matches.append((row, column))
                matchedColumns[column] = true
            } else {
                unmatchedRows.append(row)
            }
        }
        let unmatchedColumns = (0..<columns).filter { !matchedColumns[$0] }
        return Solution(matches: matches, unmatchedRows: unmatchedRows, unmatchedColumns: unmatchedColumns)
    }

    /// A cost for forbidden (non-finite) entries large enough that using one more of them is always worse than any
    /// choice among finite entries, yet small enough to keep the finite costs' precision in the potentials.
    static func forbiddenCost(for cost: [Double], size: Int) -> Double {
        let largest = cost.lazy.filter(\.isFinite).map(abs).max() ?? 0
        return (2 * largest + 1) * Double(size + 1)
    }

    /// Minimum-cost perfect assignment of a square matrix (row -> column). Non-finite entries cost `forbiddenCost`,
    /// so they are used only where no assignment avoids them (callers treat such pairs as unmatched).
    static func hungarian(_ cost: [Double], size n: Int, forbiddenCost big: Double) -> [Int] {
        // Potentials u (rows), v (columns); way[j] = previous column on the augmenting path; match[j] = row of column j.
        // 1-based with column 0 as the virtual start, as in the classic formulation.
        var u = [Double](repeating: 0, count: n + 1)
        var v = [Double](repeating: 0, count: n + 1)
        var match = [Int](repeating: 0, count: n + 1)
        var way = [Int](repeating: 0, count: n + 1)
        var minValue = [Double](repeating: 0, count: n + 1)
        var used = [Bool](repeating: false, count: n + 1)
        for row in 1...n {
            match[0] = row
            var column0 = 0
            for j in 0...n {
                minValue[j] = .infinity
                used[j] = false
            }
            repeat {
                used[column0] = true
                let row0 = match[column0]
                var delta = Double.infinity
                var column1 = 0
                for j in 1...n where !used[j] {
                    let entry = cost[(row0 - 1) * n + (j - 1)]
                    let current = (entry.isFinite ? entry : big) - u[row0] - v[j]
                    if current < minValue[j] {
                        minValue[j] = current
                        way[j] = column0
                    }
                    if minValue[j] < delta {
                        delta = minValue[j]
                        column1 = j
                    }
                }
                for j in 0...n {
                    if used[j] {
                        u[match[j]] += delta
                        v[j] -= delta
                    } else {
                        minValue[j] -= delta
                    }
                }
                column0 = column1
            } while match[column0] != 0
            repeat {
                let column1 = way[column0]
                match[column0] = match[column1]
                column0 = column1
            } while column0 != 0
        }
        var assignment = [Int](repeating: 0, count: n)
        for j in 1...n where match[j] > 0 { assignment[match[j] - 1] = j - 1 }
        return assignment
    }
}
