import Foundation
import Synchronization
import Testing

/// One part of the machine a test needs beyond its own code.
public enum RealPart: Hashable, Sendable {
    case root
    /// Executables on PATH (or in the sbin folders, which root's PATH may lack).
    case tools([String])
    /// The venv python with nfs-rs that scripts/install-deps.sh makes (see ``NFSTestClient``).
    case nfsClient
    /// The venv python, able to import `modules`.
    case python(modules: [String])
    /// Files a script of ours builds (a fixture), named with that script.
    case files([String], builtBy: String)

    /// Why this part is not here, or nil when it is.
    var missing: String? {
        switch self {
        case .root:
            return TestEnvironment.isRoot ? nil : "root"
        case .tools(let names):
            let absent = names.filter { TestEnvironment.which($0) == nil }
            return absent.isEmpty ? nil : absent.joined(separator: ", ") + " (scripts/install-deps.sh installs them)"
        case .nfsClient:
            return NFSTestClient.missing
        case .python(let modules):
            return RealParts.pythonMissing(modules)
        case .files(let paths, let script):
            let absent = paths.filter { !FileManager.default.fileExists(atPath: $0) }
            return absent.isEmpty ? nil : absent.joined(separator: ", ") + " (\(script) builds them)"
        }
    }
}

/// The one gate of every test that needs real parts (root, Ganesha, loop devices, the NFS
/// client): a skip reported as skipped where a part is missing, a failure under CI.
public enum RealParts {
    /// What of `needs` is missing here, in one line, or nil when everything is present.
    public static func missing(_ needs: [RealPart]) -> String? {
        let absent = needs.compactMap(\.missing)
        return absent.isEmpty ? nil : "needs " + absent.joined(separator: "; ")
    }

    /// Whether a test needing `needs` runs. Without `SHARE_MANAGER_REQUIRE_INTEGRATION=1` a
    /// missing part answers false (the test is skipped); with it, it throws, and the test
    /// fails naming what is missing: CI never skips.
    public static func available(_ needs: [RealPart]) throws -> Bool {
        guard let why = missing(needs) else { return true }
        if TestEnvironment.integrationRequired { throw MissingRealParts(description: "SHARE_MANAGER_REQUIRE_INTEGRATION=1 but this test \(why)") }
        return false
    }

    /// Whether the venv python imports `modules`, asked once per list: every test's trait asks.
    static func pythonMissing(_ modules: [String]) -> String? {
        if let known = pythonAnswers.withLock({ $0[modules] }) { return known }
        let answer: String?
        if let python = NFSTestClient.python {
            let check = try? runCommand([python, "-c", "import " + modules.joined(separator: ", ")])
            answer = check?.status == 0 ? nil : "\(python) importing \(modules.joined(separator: ", ")) (scripts/install-deps.sh installs them)"
        } else {
            answer = "the test venv (.venv, made by scripts/install-deps.sh)"
        }
        pythonAnswers.withLock { $0[modules] = .some(answer) }
        return answer
    }

    private static let pythonAnswers = Mutex<[[String]: String?]>([:])
}

/// Thrown by ``RealParts/available(_:)`` under CI; Swift Testing records it as the test's failure.
public struct MissingRealParts: Error, CustomStringConvertible {
    public let description: String
}

extension Trait where Self == ConditionTrait {
    /// Runs the test or suite only where `parts` are present (see ``RealParts``); the skip
    /// says what is missing.
    public static func needs(_ parts: RealPart..., sourceLocation: SourceLocation = #_sourceLocation) -> Self {
        needs(parts, sourceLocation: sourceLocation)
    }

    public static func needs(_ parts: [RealPart], sourceLocation: SourceLocation = #_sourceLocation) -> Self {
        .enabled(if: try RealParts.available(parts), RealParts.missing(parts).map(Comment.init(rawValue:)), sourceLocation: sourceLocation)
    }
}
