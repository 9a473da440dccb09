// swift-tools-version:6.2
import PackageDescription

// libFuzzer harness for DBusKit's reply decoder; built and run by run.sh with
// `swift build --sanitize fuzzer`, never by the main package's CI build.
//
// The main package exports no library product (only the share-manager executable), and
// SwiftPM reaches another package's targets only through products; so CDBus, LinuxSupport and
// DBusKit are symlinks to ../Sources instead of a `path: ".."` dependency. Same files, same code,
// and the fuzz build resolves only swift-system, not swift-nio and the rest.
let package = Package(
    name: "share-manager-fuzz",
    // LinuxSupport's errors are swift-system's Errno.
    dependencies: [.package(url: "https://github.com/apple/swift-system", from: "1.8.1")],
    targets: [
        .systemLibrary(name: "CDBus", pkgConfig: "dbus-1", providers: [.apt(["libdbus-1-dev"])]),
        .target(
            name: "LinuxSupport", dependencies: [.product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")]),
        .target(
            name: "DBusKit",
            dependencies: ["CDBus", "LinuxSupport"],
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")]
        ),
        .executableTarget(
            name: "DecoderFuzzer",
            dependencies: ["DBusKit"],
            // libFuzzer supplies main(); the Swift file only defines the entry points.
            swiftSettings: [.swiftLanguageMode(.v6), .unsafeFlags(["-parse-as-library"])]
        ),
    ]
)
