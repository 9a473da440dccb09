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

/// The first element of `stream` within `timeout`, or nil when none came (or it finished).
/// Ending the wait ends the stream too, as any cancelled consumer does.
public func firstElement<Element: Sendable>(of stream: AsyncStream<Element>, within timeout: Duration) async -> Element? {
    await withTaskGroup(of: Element?.self) { group in
        group.addTask {
            for await element in stream { return element }
            return nil
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}
