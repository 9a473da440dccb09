/// What a stream produced during a window of time.
public struct Collected<Element: Sendable>: Sendable {
    public var elements: [Element]
    /// True when the stream finished by itself before the window closed.
    public var finished: Bool
}

/// Consumes `stream` for `window` (or until it finishes) and returns everything it produced.
/// Ending the window ends the stream, as any cancelled consumer does.
public func collect<Element: Sendable>(_ stream: AsyncStream<Element>, for window: Duration) async -> Collected<Element> {
    await withTaskGroup(of: Collected<Element>?.self) { group in
        group.addTask {
            var elements: [Element] = []
            for await element in stream { elements.append(element) }
            return Collected(elements: elements, finished: !Task.isCancelled)
        }
        group.addTask {
            try? await Task.sleep(for: window)
            return nil
        }
        var result = Collected<Element>(elements: [], finished: false)
        while let next = await group.next() {
            if let collected = next {
                result = collected
                break
            }
            group.cancelAll()
        }
        group.cancelAll()
        return result
    }
}
