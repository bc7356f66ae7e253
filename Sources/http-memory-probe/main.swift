// Measures what an HTTP client keeps per request: N requests in a row on one
// client, RssAnon (the process's anonymous memory) after every fifth of them.
// bench/http_memory.sh runs it for Taskr's libcurl client and for URLSession,
// in the same run, against nginx on loopback.
//
//   http-memory-probe curl|urlsession URL REQUESTS
import Curl
import Dispatch
import Foundation
import FoundationNetworking
import HTTP

let arguments = CommandLine.arguments
guard arguments.count == 4, let total = Int(arguments[3]), total >= 5, let url = URL(string: arguments[2]) else {
    FileHandle.standardError.write(Data("usage: http-memory-probe curl|urlsession URL REQUESTS\n".utf8))
    exit(2)
}

func rssAnonKiB() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("RssAnon:") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
}

/// One request; false when it failed or was not a 200.
let one: () -> Bool
switch arguments[1] {
case "curl":
    let client = CurlClient()
    one = {
        let request = OutboundRequest(url: url, headers: ["Accept": "application/json"], timeout: 5)
        return (try? client.send(request))?.status == 200
    }
case "urlsession":
    let configuration = URLSessionConfiguration.ephemeral
    configuration.httpCookieStorage = nil
    configuration.urlCache = nil
    configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
    let session = URLSession(configuration: configuration)
    one = {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var status = 0
        var request = URLRequest(url: url, timeoutInterval: 5)
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        session.dataTask(with: request) { _, response, _ in
            status = (response as? HTTPURLResponse)?.statusCode ?? 0
            done.signal()
        }.resume()
        done.wait()
        return status == 200
    }
default:
    FileHandle.standardError.write(Data("unknown client \(arguments[1])\n".utf8))
    exit(2)
}

// Warm up: connections, caches and allocator arenas settle first.
for _ in 0..<1000 where !one() {
    FileHandle.standardError.write(Data("request failed during warm-up\n".utf8))
    exit(1)
}
let start = rssAnonKiB()
var failures = 0
for fifth in 1...5 {
    for _ in 0..<(total / 5) where !one() { failures += 1 }
    print("after \(fifth * (total / 5)) requests: RssAnon +\(rssAnonKiB() - start) KiB")
}
print("growth_kib=\(rssAnonKiB() - start) failures=\(failures)")
exit(failures == 0 ? 0 : 1)
