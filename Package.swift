// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "share-manager",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "share-manager", targets: ["share-manager"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // C libraries stay behind thin wrappers in their own targets.
        .systemLibrary(
            name: "CDBus",
            pkgConfig: "dbus-1",
            providers: [.apt(["libdbus-1-dev"])]
        ),
        .systemLibrary(
            name: "CNFSIdmap",
            pkgConfig: "libnfsidmap",
            providers: [.apt(["libnfsidmap-dev"])]
        ),
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        .target(name: "CSpawn"),
        // The POSIX layer: errno (swift-system's Errno), EINTR, file calls, threads, the
        // deadline helper, C strings and stderr, without Foundation proper (ICU is most of its size).
        .target(name: "LinuxSupport", dependencies: [.product(name: "SystemPackage", package: "swift-system")]),

        .target(
            name: "DBusKit",
            dependencies: ["CDBus", "LinuxSupport"]
        ),
        .target(
            name: "GaneshaControl",
            dependencies: ["DBusKit"]
        ),
        .target(
            name: "IDMapping",
            dependencies: ["CNFSIdmap"]
        ),
        .target(
            name: "SystemdNotify",
            dependencies: ["CSystemd"]
        ),
        .target(
            name: "GaneshaConfig",
            dependencies: ["LinuxSupport", .product(name: "SystemPackage", package: "swift-system")]
        ),
        .target(
            name: "VolumeDevice",
            dependencies: [
                "ChildProcesses", "LinuxSupport", .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "ChildProcesses",
            dependencies: [
                "CSpawn", "LinuxSupport", .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "HTTPServing",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // What HTTP and the control API may ask of the supervisor: a protocol and plain values.
        .target(name: "SupervisorInterface"),
        // Recovery store on the volume, grace tracking, and the Ganesha log lines that tell it.
        .target(name: "Recovery", dependencies: ["LinuxSupport", .product(name: "SystemPackage", package: "swift-system"), .product(name: "Logging", package: "swift-log")]),
        // The validated run configuration: every value here may reach a config or a command line.
        .target(name: "RunSettings", dependencies: ["GaneshaConfig", "VolumeDevice", "LinuxSupport", .product(name: "SystemPackage", package: "swift-system")]),
        // Our swift-log handler (text or JSON, one line per record) and the live level.
        .target(name: "ShareLogging", dependencies: ["LinuxSupport", .product(name: "Logging", package: "swift-log")]),
        // Owns Ganesha, the bus, the prepared volume and the export; the run as services.
        .target(
            name: "Supervisor",
            dependencies: [
                "SupervisorInterface", "Recovery", "RunSettings", "ShareLogging", "DBusKit", "GaneshaControl", "GaneshaConfig",
                "VolumeDevice", "ChildProcesses", "IDMapping", "SystemdNotify", "LinuxSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Probes, /metrics and the control API: they reach the supervisor only through
        // ShareSupervising, so the compiler keeps them away from Ganesha, the bus and the device.
        .target(
            name: "ShareAPI",
            dependencies: [
                "SupervisorInterface", "HTTPServing", "LinuxSupport",
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The command line: flags, their environment fallback and validation into
        // ResolvedOptions, and the control client with its commands.
        .target(
            name: "ShareCLI",
            dependencies: [
                "RunSettings", "SupervisorInterface", "GaneshaConfig", "IDMapping", "VolumeDevice", "LinuxSupport", "ChildProcesses",
                .product(name: "SystemPackage", package: "swift-system"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "ShareManager",
            dependencies: [
                "Supervisor", "SupervisorInterface", "ShareAPI", "ShareCLI", "RunSettings", "ShareLogging", "GaneshaConfig", "VolumeDevice", "HTTPServing",
                "IDMapping", "LinuxSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "share-manager",
            dependencies: ["ShareManager"]
        ),

        // Round-trip latency of Ganesha D-Bus calls (bench/dbus-latency).
        .executableTarget(
            name: "dbus-latency-bench",
            dependencies: ["GaneshaControl", "DBusKit"],
            path: "bench/dbus-latency"
        ),

        // Helpers the tests share: temp dirs, free ports, root checks, process cleanup by PID.
        .target(name: "TestSupport", dependencies: ["GaneshaConfig"], path: "Tests/TestSupport"),

        // In-process live tests: a real listener on port 0 (or a unix socket) and a client
        // that writes requests byte for byte.
        .target(
            name: "LiveHTTP", dependencies: [
                "HTTPServing", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ], path: "Tests/LiveHTTP"),
        .testTarget(name: "ShareAPITests", dependencies: ["ShareAPI", "SupervisorInterface", "LiveHTTP", "HTTPServing", "TestSupport", .product(name: "NIOHTTP1", package: "swift-nio")]),
        .testTarget(name: "HTTPServingTests", dependencies: ["HTTPServing", "LiveHTTP", "TestSupport", .product(name: "NIOHTTP1", package: "swift-nio")]),
        .testTarget(name: "DBusKitTests", dependencies: ["DBusKit", "TestSupport"]),
        .testTarget(name: "GaneshaControlTests", dependencies: ["GaneshaControl", "DBusKit", "TestSupport"]),
        .testTarget(name: "IDMappingTests", dependencies: ["IDMapping", "TestSupport"]),
        .testTarget(name: "SystemdNotifyTests", dependencies: ["SystemdNotify", "TestSupport"]),
        .testTarget(name: "GaneshaConfigTests", dependencies: ["GaneshaConfig", "TestSupport"], exclude: ["Golden"]),
        .testTarget(name: "VolumeDeviceTests", dependencies: ["VolumeDevice", "ChildProcesses", "TestSupport", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "ShareManagerTests", dependencies: [
            "ShareManager", "ShareAPI", "ShareCLI", "Supervisor", "SupervisorInterface", "Recovery", "RunSettings", "ShareLogging", "TestSupport", .product(name: "Logging", package: "swift-log"), .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .testTarget(name: "SupervisorTests", dependencies: [
            "Supervisor", "SupervisorInterface", "RunSettings", "GaneshaConfig", "GaneshaControl", "TestSupport", .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .testTarget(name: "ShareCLITests", dependencies: [
            "ShareCLI", "GaneshaConfig", "SupervisorInterface", "TestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "ChildProcessesTests", dependencies: [
            "ChildProcesses", "LinuxSupport", .product(name: "Logging", package: "swift-log"),
            .product(name: "SystemPackage", package: "swift-system"), .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .testTarget(
            name: "IntegrationTests", dependencies: ["TestSupport", "VolumeDevice", .product(name: "Logging", package: "swift-log")], exclude: ["Tools"]
        ),
    ]
)

// Strict settings for every target of ours, in one place.
for target in package.targets where target.type != .system && target.name != "CSpawn" {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .swiftLanguageMode(.v6),
        .enableUpcomingFeature("ExistentialAny"),
    ]
}
