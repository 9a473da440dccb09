import Logging

/// mkfs, for blank devices only (the caller has probed).
struct Formatter: Sendable {
    let runner: ToolRunner

    func format(_ device: String, label: String, as filesystem: FilesystemType) throws(DeviceError) {
        let size = try SystemCall.size(of: device)
        guard size >= filesystem.minimumBytes else {
            throw .tooSmall(device: label, bytes: size, filesystem: filesystem, minimum: filesystem.minimumBytes)
        }
        let command = filesystem.mkfsCommand
        runner.logger.notice("formatting blank device", metadata: [
            "device": "\(label)", "filesystem": "\(filesystem.rawValue)", "bytes": "\(size)",
        ])
        try runner.check(command.tool, command.arguments + [device])
    }
}
