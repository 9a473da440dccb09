import Foundation

/// Names the calling thread as the kernel sees it (ps, top, gdb, /proc), which
/// Foundation's `Thread.name` does not do on Linux. The kernel keeps 15 bytes.
public func nameCurrentThread(_ name: String) {
    let short = String(decoding: Array(name.utf8.prefix(15)), as: UTF8.self)
    try? short.write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
}

/// The kernel's name of the calling thread.
public func currentThreadName() -> String {
    ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "")
        .trimmingCharacters(in: .whitespacesAndNewlines)
}
