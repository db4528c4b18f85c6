import AnalyticsCore
import Testing

@testable import Tracking

@Suite("Linear assignment", .timeLimit(.minutes(1)))
struct LinearAssignmentTests {
    /// The objective the solver minimises: matched costs plus limit/2 per unmatched row and column.
    static func objective(_ solution: LinearAssignment.Solution, cost: [Double], columns: Int, limit: Double) -> Double
    {
        solution.matches.reduce(0) { $0 + cost[$1.row * columns + $1.column] }
            + Double(solution.unmatchedRows.count + solution.unmatchedColumns.count) * limit / 2
    }

    /// Every partial matching, exhaustively.
    static func bruteForce(cost: [Double], rows: Int, columns: Int, limit: Double) -> Double {
        var best = Double.infinity
        var usedColumns = [Bool](repeating: false, count: columns)
        func visit(_ row: Int, _ total: Double, _ matched: Int) {
            if row == rows {
                best = min(best, total + Double((rows - matched) + (columns - matched)) * limit / 2)
                return
            }
            visit(row + 1, total, matched)  // row unmatched
            for column in 0..<columns where !usedColumns[column] && cost[row * columns + column] <= limit {
                usedColumns[column] = true
                visit(row + 1, total + cost[row * columns + column], matched + 1)
                usedColumns[column] = false
            }
        }
        visit(0, 0, 0)
        return best
    }

    @Test("optimal on 2000 random matrices up to 6x6, square and rectangular, against brute force")
    func randomAgainstBruteForce() {
        var generator = SeededRandomGenerator(seed: 42)
        for _ in 0..<2000 {
            let rows = Int.random(in: 0...6, using: &generator), columns = Int.random(in: 0...6, using: &generator)
            let limit = Double.random(in: 0.2...1, using: &generator)
            let cost = (0..<(rows * columns)).map { _ in Double.random(in: 0...1, using: &generator) }
            let solution = LinearAssignment.solve(cost: cost, rows: rows, columns: columns, limit: limit)
            let expected = Self.bruteForce(cost: cost, rows: rows, columns: columns, limit: limit)
            #expect(abs(Self.objective(solution, cost: cost, columns: columns, limit: limit) - expected) < 1e-9)
            #expect(solution.matches.allSatisfy { cost[$0.row * columns + $0.column] <= limit })
            #expect(Set(solution.matches.map(\.row)).count == solution.matches.count)
            #expect(Set(solution.matches.map(\.column)).count == solution.matches.count)
            #expect(solution.matches.count + solution.unmatchedRows.count == rows)
            #expect(solution.matches.count + solution.unmatchedColumns.count == columns)
        }
    }

    @Test("optimal on 2000 sparse random matrices up to 9x9 (many pairs over the limit: several components)")
    func sparseAgainstBruteForce() {
        var generator = SeededRandomGenerator(seed: 7)
        for _ in 0..<2000 {
            let rows = Int.random(in: 1...9, using: &generator), columns = Int.random(in: 1...9, using: &generator)
            let limit = 0.8
            let cost = (0..<(rows * columns)).map { _ in
                Double.random(in: 0...1, using: &generator) < 0.75 ? 1 : Double.random(in: 0...0.8, using: &generator)
            }
            let solution = LinearAssignment.solve(cost: cost, rows: rows, columns: columns, limit: limit)
            let expected = Self.bruteForce(cost: cost, rows: rows, columns: columns, limit: limit)
            #expect(abs(Self.objective(solution, cost: cost, columns: columns, limit: limit) - expected) < 1e-9)
            #expect(Set(solution.matches.map(\.column)).count == solution.matches.count)
            #expect(solution.matches.count + solution.unmatchedRows.count == rows)
            #expect(solution.matches.count + solution.unmatchedColumns.count == columns)
            #expect(solution.matches.map(\.row) == solution.matches.map(\.row).sorted())
        }
    }

    @Test("the global optimum beats greedy choices; pairs over the limit stay unmatched")
    func knownCases() {
        // Greedy would take (0,0)=0.1 and then (1,1)=0.9; the optimum is (0,1)+(1,0) = 0.4.
        let solution = LinearAssignment.solve(cost: [0.1, 0.2, 0.2, 0.9], rows: 2, columns: 2, limit: 1)
        #expect(solution.matches.map { [$0.row, $0.column] } == [[0, 1], [1, 0]])
        let none = LinearAssignment.solve(cost: [0.95, 0.99], rows: 1, columns: 2, limit: 0.8)
        #expect(none.matches.isEmpty && none.unmatchedRows == [0] && none.unmatchedColumns == [0, 1])
        let empty = LinearAssignment.solve(cost: [], rows: 0, columns: 3, limit: 0.8)
        #expect(empty.unmatchedColumns == [0, 1, 2])
    }

    @Test("infinite costs are never matched")
    func infinite() {
        let solution = LinearAssignment.solve(
            cost: [.infinity, 0.3, .infinity, .infinity], rows: 2, columns: 2, limit: 0.8)
        #expect(solution.matches.map { [$0.row, $0.column] } == [[0, 1]])
        #expect(solution.unmatchedRows == [1] && solution.unmatchedColumns == [0])
    }
}
