// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "heartbeat-swift",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "heartbeat", targets: ["heartbeat"]),
        .executable(name: "hbctl", targets: ["hbctl"]),
        .executable(name: "cl_status", targets: ["cl_status"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // OpenSSL's libcrypto from Debian's libssl-dev: MD5, SHA-1 and SHA-256 for authkeys.
        .systemLibrary(
            name: "CLibCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // Linux calls Glibc's module lacks: epoll, timerfd, signalfd, openpty, watchdog ioctls.
        .target(name: "CSystem"),
        // The pure core: config, wire codec, auth, membership, resources. No I/O, no clock.
        .target(name: "HeartbeatCore", dependencies: ["CLibCrypto"]),
        // The shell around the core: files, sockets, timers, processes.
        .target(name: "HeartbeatRuntime", dependencies: ["HeartbeatCore", "CSystem"]),
        // The daemon links the Swift runtime statically: only what it calls is mapped (and locked
        // by mlockall), not every page of libswiftCore and its companions (README, locked memory).
        .executableTarget(name: "heartbeat", dependencies: ["HeartbeatRuntime"],
                          linkerSettings: [.unsafeFlags(["-static-stdlib"])]),
        .executableTarget(
            name: "hbctl",
            dependencies: [
                "HeartbeatRuntime",
                "HeartbeatSim",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "cl_status", dependencies: ["HeartbeatRuntime"]),
        // The deterministic simulator: N nodes, a virtual clock and network, invariants.
        .target(name: "HeartbeatSim", dependencies: ["HeartbeatCore"]),
        // libm: HeartbeatCore's Double rounding needs it, and nothing else here links Foundation.
        .executableTarget(name: "hbsim", dependencies: ["HeartbeatSim"], linkerSettings: [.linkedLibrary("m")]),
        // libFuzzer targets of every parser hostile input reaches (`make fuzz`); a replay tool otherwise.
        .executableTarget(name: "hbfuzz", dependencies: ["HeartbeatCore"], linkerSettings: [.linkedLibrary("m")]),
        .testTarget(name: "HeartbeatSimTests", dependencies: ["HeartbeatSim"]),
        .testTarget(name: "HeartbeatRuntimeTests", dependencies: ["HeartbeatRuntime"]),
        .testTarget(
            name: "HeartbeatCoreTests",
            dependencies: ["HeartbeatCore"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
