import LinuxSupport

/// The module's file calls: LinuxSupport's, failing with a `DeviceError` that names the call
/// and the path.
typealias SystemCall = SystemCalls<DeviceError>

extension DeviceError: SystemCallFailure {
    public init(_ failure: SystemCallError) {
        self = .systemCall(failure.call, path: failure.path, errno: failure.errno)
    }
}
