import GaneshaControl
import Supervision

/// Where a run is, as the probes and metrics see it.
public enum Phase: String, Sendable {
    case preparingDevice = "preparing device"
    case startingGanesha = "starting Ganesha"
    case serving
    case stopping
}

/// The state the HTTP handlers read while the lifecycle changes it.
actor RuntimeState {
    private(set) var phase: Phase = .preparingDevice
    private(set) var ganesha: SupervisedProcess?
    private(set) var client: GaneshaClient?

    func enter(_ phase: Phase) { self.phase = phase }

    func ganeshaStarted(_ process: SupervisedProcess, client: GaneshaClient) {
        ganesha = process
        self.client = client
    }

    func snapshot() -> (phase: Phase, ganesha: SupervisedProcess?, client: GaneshaClient?) {
        (phase, ganesha, client)
    }
}
