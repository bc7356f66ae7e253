// Measures whether URLSession (swift-corelibs-foundation) keeps memory per
// request: plain data tasks in a loop, RssAnon after each 5,000. Not part of
// any build; run by hand after a toolchain upgrade, against any fast HTTP
// server on loopback (a static file on nginx was used):
//
//   swiftc -O bench/urlsession_probe.swift -o /tmp/urlsession-probe
//   /tmp/urlsession-probe http://127.0.0.1:PORT/some-file 30000
//
// Swift 6.3.1: +5.2 MiB over 30,000 requests (about 170 bytes each); the same
// loop in C on libcurl's multi interface: +12 KiB. See README, Reliability.
import Foundation
import FoundationNetworking

let configuration = URLSessionConfiguration.ephemeral
configuration.httpCookieStorage = nil
configuration.urlCache = nil
configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
let session = URLSession(configuration: configuration)
let url = URL(string: CommandLine.arguments[1])!
let total = Int(CommandLine.arguments[2])!

func rssAnon() -> Int {
    let status = try! String(contentsOfFile: "/proc/self/status", encoding: .utf8)
    let line = status.split(separator: "\n").first { $0.hasPrefix("RssAnon:") }!
    return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])!
}

func one() {
    let done = DispatchSemaphore(value: 0)
    let task = session.dataTask(with: URLRequest(url: url)) { _, _, _ in done.signal() }
    task.resume()
    done.wait()
}
for _ in 0..<1000 { one() }
let warm = rssAnon()
let start = Date()
for round in 1...(total / 5000) {
    for _ in 0..<5000 { one() }
    print("after \(1000 + round * 5000): RssAnon +\(rssAnon() - warm) KiB (\(Int(Date().timeIntervalSince(start)))s)")
}
