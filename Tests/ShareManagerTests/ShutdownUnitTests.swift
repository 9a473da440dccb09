import Dispatch
import GaneshaConfig
import Glibc
import ShareCLI
@testable import ShareManager
import Testing

@Suite("the shutdown timeout flag")
struct ShutdownUnitTests {
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
}
