import Glibc

/// Writes `text` to stderr in full, retrying short writes and EINTR; a stderr that cannot be
/// written to is given up on (there is nowhere left to report it).
public func writeToStandardError(_ text: String) {
    try? SystemCalls<SystemCallError>.write(2, Array(text.utf8), path: "stderr")
}
