import FoundationEssentials
import GaneshaConfig
import ChildProcesses

extension Supervisor {
    /// Asks the ganesha.nfsd that will be started which release it is, through the same
    /// path (so a wrapper that runs it elsewhere answers for the one it runs). The config
    /// differs by release only in options one release needs and another warns about; an
    /// answer we cannot read renders what every release accepts, and says so.
    nonisolated func detectGaneshaVersion() async -> GaneshaVersion? {
        let executable = Executables.find("ganesha.nfsd")
        let fallback = "rendering the config without release-specific options (Ganesha 6.1 and later then need CAP_SYS_RESOURCE)"
        let probe: SupervisedProcess
        do {
            probe = try await SupervisedProcess.start(
                name: "ganesha-version", executable: executable, arguments: ["-v"],
                environment: ChildEnvironment.make(), logger: logger
            )
        } catch {
            logger.warning("cannot run \(executable) -v: \(error); \(fallback)")
            return nil
        }
        guard let status = await probe.waitForExit(timeout: .seconds(10)) else {
            await probe.terminate(grace: .seconds(1))
            logger.warning("\(executable) -v did not answer within 10 s; \(fallback)")
            return nil
        }
        let printed = await probe.lastLines(8)
        guard status == .exited(0), let version = GaneshaVersion.parse(versionOutput: printed.joined(separator: "\n")) else {
            let said = printed.isEmpty ? "nothing" : printed.joined(separator: " | ")
            logger.warning("cannot tell Ganesha's release: \(executable) -v \(status) and printed \(said); \(fallback)")
            return nil
        }
        logger.info("Ganesha release", metadata: ["version": "\(version)", "executable": "\(executable)"])
        return version
    }
}
