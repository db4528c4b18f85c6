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
    ///
    /// A pair costing more than `limit` is never in an optimal solution (leaving both unmatched is cheaper), so the
    /// problem splits into the connected components of the pairs within the limit, each solved on its own. In a
    /// typical frame most tracks overlap one detection or none, which makes the dense O(n³) step rare and small.
    public static func solve(cost: [Double], rows: Int, columns: Int, limit: Double) -> Solution {
        precondition(cost.count == rows * columns, "cost must have rows * columns entries")
        if rows == 0 || columns == 0 {
            return Solution(matches: [], unmatchedRows: Array(0..<rows), unmatchedColumns: Array(0..<columns))
        }
        // Fast path, the usual frame: every row and column has at most one pair within the limit, so each such
        // pair is its own component and is matched.
        var rowDegree = [Int](repeating: 0, count: rows), columnDegree = [Int](repeating: 0, count: columns)
        var pairs: [(row: Int, column: Int)] = []
        pairs.reserveCapacity(min(rows, columns))
        for r in 0..<rows {
            for c in 0..<columns where cost[r * columns + c] <= limit {
                rowDegree[r] += 1
                columnDegree[c] += 1
                pairs.append((r, c))
            }
        }
        if !rowDegree.contains(where: { $0 > 1 }) && !columnDegree.contains(where: { $0 > 1 }) {
            return Solution(
                matches: pairs, unmatchedRows: (0..<rows).filter { rowDegree[$0] == 0 },
                unmatchedColumns: (0..<columns).filter { columnDegree[$0] == 0 })
        }
        // Union-find over rows (0..<rows) and columns (rows..<rows+columns), joined by pairs within the limit.
        var components = UnionFind(count: rows + columns)
        for pair in pairs { components.join(pair.row, rows + pair.column) }
        var matches: [(row: Int, column: Int)] = []
        var rowMatched = [Bool](repeating: false, count: rows)
        var columnMatched = [Bool](repeating: false, count: columns)
        do {
            // Group members by component: nodes sorted by root, then runs of equal roots.
            let roots = (0..<(rows + columns)).map { components.root($0) }
            let nodes = (0..<(rows + columns)).sorted { roots[$0] < roots[$1] }
            var start = 0
            while start < nodes.count {
                var end = start
                while end < nodes.count && roots[nodes[end]] == roots[nodes[start]] { end += 1 }
                let run = nodes[start..<end]
                start = end
                guard run.count > 1 else { continue }  // a row or column with no pair within the limit
                if run.count == 2 {
                    // One row and one column joined by their one pair, which is within the limit.
                    let (r, c) = run.first! < rows ? (run.first!, run.last! - rows) : (run.last!, run.first! - rows)
                    matches.append((r, c))
                    continue
                }
                let memberRows = run.filter { $0 < rows }
                let memberColumns = run.filter { $0 >= rows }.map { $0 - rows }
                var sub = [Double](repeating: 0, count: memberRows.count * memberColumns.count)
                for (i, r) in memberRows.enumerated() {
                    for (j, c) in memberColumns.enumerated() {
                        sub[i * memberColumns.count + j] = cost[r * columns + c]
                    }
                }
                for pair in solveDense(cost: sub, rows: memberRows.count, columns: memberColumns.count, limit: limit) {
                    matches.append((memberRows[pair.row], memberColumns[pair.column]))
                }
            }
            matches.sort { $0.row < $1.row }
            for match in matches {
                rowMatched[match.row] = true
                columnMatched[match.column] = true
            }
        }
        return Solution(
            matches: matches, unmatchedRows: (0..<rows).filter { !rowMatched[$0] },
            unmatchedColumns: (0..<columns).filter { !columnMatched[$0] })
    }

    /// Disjoint sets with path halving.
    struct UnionFind {
        var parent: [Int]

        init(count: Int) { parent = Array(0..<count) }

        mutating func root(_ node: Int) -> Int {
            var node = node
            while parent[node] != node {
                parent[node] = parent[parent[node]]
                node = parent[node]
            }
            return node
        }

        mutating func join(_ a: Int, _ b: Int) {
            let ra = root(a), rb = root(b)
            if ra != rb { parent[ra] = rb }
        }
    }

    /// The exact solve of one component: the extended square matrix [cost | limit/2 on the diagonal] over
    /// [limit/2 on the diagonal | 0], off-diagonal dummy entries forbidden so each real row has exactly one
    /// "unmatched" slot.
    static func solveDense(cost: [Double], rows: Int, columns: Int, limit: Double) -> [(row: Int, column: Int)] {
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
        // A real pair is never worse than leaving both unmatched here, except when forced onto a forbidden
        // (infinite) entry, which counts as unmatched.
        return (0..<rows).compactMap { row in
            let column = assignment[row]
            guard column < columns, cost[row * columns + column].isFinite, cost[row * columns + column] <= limit
            else { return nil }
            return (row, column)
        }
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
