import LinuxSupport
import Synchronization
import Testing

@Suite("Linux helpers that replace Foundation proper")
struct LinuxSupportTests {
    @Test("trimming takes spaces, tabs and line breaks from both ends only")
    func trimming() {
        #expect(" \t a b \n".trimmed == "a b")
        #expect("\n\n".trimmed == "")
        #expect("\n/images/a b .img \n".trimmingLineBreaks == "/images/a b .img ")
    }

    @Test("parentFolder(of:) answers as NSString.deletingLastPathComponent", arguments: [
        ("/run/sm/control.sock", "/run/sm"), ("/control.sock", "/"), ("/run/sm/", "/run"),
        ("control.sock", ""), ("/", "/"),
    ])
    func parent(path: String, expected: String) {
        #expect(parentFolder(of: path) == expected)
    }

    @Test("a detached thread runs its body under the name it was given")
    func namedThread() async {
        let name = await withCheckedContinuation { continuation in
            DetachedThread.start(name: "sm-test-thread-long-name") { continuation.resume(returning: currentThreadName()) }
        }
        #expect(name == "sm-test-thread-")  // the kernel keeps 15 bytes
    }
}
