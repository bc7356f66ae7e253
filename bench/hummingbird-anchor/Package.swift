// swift-tools-version: 6.2
// The benchmark's Hummingbird 2 anchor (#25): the framework a Swift team
// would weigh against Taskr, serving the same pages behind the same nginx
// (over HTTP, proxy_pass with kept connections). Built only by `make bench`
// (bench/run.sh); never part of taskr.
import PackageDescription

let package = Package(
    name: "hummingbird-anchor",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1")
    ],
    targets: [
        .systemLibrary(name: "CSQLite3", path: "Sources/CSQLite3"),
        .executableTarget(
            name: "hummingbird-anchor",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird"), "CSQLite3"]
        ),
    ]
)
