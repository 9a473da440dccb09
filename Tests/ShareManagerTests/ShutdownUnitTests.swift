import Dispatch
import GaneshaConfig
import Glibc
import ShareCLI
@testable import ShareManager
import Testing

@Suite("Stop signals, the shutdown timeout flag and bounded blocking work")
struct ShutdownUnitTests {
    @Test("the first signal asks for a stop; only the second one wakes the escalation")
    func secondSignal() async {
        let stop = StopRequest()
        let waiter = Task { await stop.secondSignal() }
        stop.request(SIGTERM)
        #expect(stop.isRequested)
        try? await Task.sleep(for: .milliseconds(50))
        stop.request(SIGINT)
        #expect(await waiter.value == SIGINT)
        #expect(stop.count == 2)
        // Asked later, it answers at once.
        #expect(await stop.secondSignal() == SIGINT)
    }

    @Test("a cancelled wait for the second signal returns nil and leaves nothing behind")
    func cancelledWait() async {
        let stop = StopRequest()
        stop.request(SIGTERM)
        let waiter = Task { await stop.secondSignal() }
        try? await Task.sleep(for: .milliseconds(20))
        waiter.cancel()
        #expect(await waiter.value == nil)
        stop.request(SIGTERM)
        #expect(await stop.secondSignal() == SIGTERM)
    }

    @Test("--shutdown-timeout: 10 s by default, 1-300 accepted, anything else refused by name")
    func timeoutFlag() throws {
        let defaults = try ShareManagerOptions.parse(["--volume", "v"]).resolve(requireDevice: false)
        #expect(defaults.shutdownTimeout == .seconds(10))
        for good in ["1", "300"] {
            let resolved = try ShareManagerOptions.parse(["--volume", "v", "--shutdown-timeout", good]).resolve(requireDevice: false)
            #expect(resolved.shutdownTimeout == .seconds(Int(good)!))
        }
        for bad in ["0", "301", "-5"] {
            let options = try ShareManagerOptions.parse(["--volume", "v", "--shutdown-timeout=\(bad)"])
            #expect {
                try options.resolve(requireDevice: false)
            } throws: { error in
                (error as? ValidationError)?.flag == "shutdown-timeout"
            }
        }
    }

    @Test("blocking work that overruns its bound is given up on, not waited for")
    func boundedBlocking() async {
        let quick = await BoundedBlocking.run(within: .seconds(5)) { 42 }
        #expect(quick == 42)
        // Blocked until after the answer: an answer at all proves it was not waited for.
        let release = DispatchSemaphore(value: 0)
        let slow = await BoundedBlocking.run(within: .milliseconds(100)) { () -> Int in
            release.wait()
            return 1
        }
        release.signal()
        #expect(slow == nil)
    }

    @Test("durations in the escalation line read as whole seconds, or with tenths")
    func secondsText() {
        #expect(Lifecycle.secondsText(.seconds(10)) == "10")
        #expect(Lifecycle.secondsText(.milliseconds(2340)) == "2.3")
    }
}
