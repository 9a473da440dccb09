import GaneshaConfig
import TestSupport

enum Fixtures {
    static func templates() throws -> TemplateSet {
        try TemplateSet(directory: TestEnvironment.repositoryRoot.appendingPathComponent("ganesha-templates").path)
    }

    static func settings(volume: String = "pvc-0a1b2c") throws -> GaneshaSettings {
        var settings = GaneshaSettings(
            volume: try VolumeName(validating: volume),
            nfsAddress: try NetworkAddress(validating: "0.0.0.0", flag: "nfs-address"),
            nfsPort: 2049,
            gracePeriod: 90,
            leaseLifetime: 60,
            exportPath: try SafePath(validating: "/export/\(volume)/data", flag: "mount-point"),
            recoveryRoot: try SafePath(validating: "/export/\(volume)/.share-manager/recovery", flag: "mount-point")
        )
        settings.exportConfig = try SafePath(validating: "/var/run/share-manager/\(volume)/export.conf", flag: "state-dir")
        return settings
    }

    static func golden(_ name: String) throws -> String {
        let url = TestEnvironment.repositoryRoot.appendingPathComponent("Tests/GaneshaConfigTests/Golden/\(name)")
        return try String(contentsOf: url, encoding: .utf8)
    }
}
