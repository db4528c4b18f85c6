import Foundation

/// Runs a blocking call (a flush, a consumer-group leave, a client's close) on a thread of its own and awaits its
/// result, so the cooperative pool's few threads are never blocked by it.
public func runOnDedicatedThread<T: Sendable>(
    named name: String, _ body: @escaping @Sendable () -> T
) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: body()) }
        thread.name = name
        thread.start()
    }
}
