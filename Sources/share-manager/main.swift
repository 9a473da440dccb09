import FoundationEssentials
import Glibc
import ShareManager

// Thin on purpose: everything it wires is a library type the tests use too.
let code = await ShareManagerCLI.main(
    arguments: Array(CommandLine.arguments.dropFirst()),
    environment: ProcessInfo.processInfo.environment
)
exit(code)
