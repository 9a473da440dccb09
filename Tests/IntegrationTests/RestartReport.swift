import Foundation
import TestSupport

extension ShareManagerUnderTest {
    /// What an operator reads first when a client did not come back after an in-place
    /// restart: the port the clients were given beside the one share-manager publishes now,
    /// whether Ganesha runs and listens there, and share-manager's whole log (its temp dir
    /// is removed after the test, so a failure message is the only place it survives).
    func restartReport(_ server: ChildProcess) -> String {
        let published = (try? Endpoint.read(stateDir)).map { "port \($0.port), pid \($0.pid)" } ?? "none"
        let pid = (try? ganeshaPid()).map { "\($0) (\(kill($0, 0) == 0 ? "alive" : "gone"))" } ?? "no pid file"
        let accepts = nfsPort != 0 && SocketProbe.tcpPortAccepts(nfsPort)
        return """
            clients use port \(nfsPort) (\(accepts ? "accepting" : "refusing")); endpoint.json: \(published); \
            Ganesha's pid file: \(pid); share-manager \(server.isRunning ? "runs" : "has exited")
            share-manager's log:
            \(server.output)
            """
    }
}
