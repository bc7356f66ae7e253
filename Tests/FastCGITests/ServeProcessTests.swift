import Foundation
import Testing

/// `taskr serve` as operators run it: a real process, real sockets, real signals.
@Suite("taskr serve process")
struct ServeProcessTests {
    @Test func sigtermFinishesTheRequestInFlightAndExitsZero() throws {
        try withTemporaryPath { directory in
            let socket = "\(directory)/taskr.sock"
            let taskr = try TaskrProcess(["serve", "--socket", socket, "--workers", "2"], in: directory)
            #expect(taskr.waitForLog("listening on unix:\(socket)"))

            // A slow upload: the worker has the request and waits for the rest of the body.
            let slow = try FastCGIClient(unixPath: socket)
            try slow.begin(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/healthz", "CONTENT_LENGTH": "8"])
            try slow.sendStdin(Array("half".utf8))
            // Prove it is in flight before the signal: a second request is answered meanwhile.
            #expect(try FastCGIClient.request(unixPath: socket, uri: "/healthz").status == 200)

            taskr.signal(SIGTERM)
            #expect(taskr.waitForLog("received SIGTERM"))
            try slow.sendStdin(Array("more".utf8))
            try slow.endStdin()
            let response = try slow.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "ok\n")

            #expect(taskr.exitStatus() == 0)
            #expect(taskr.log.contains { $0.contains("stopped: all requests finished") })
            #expect(!FileManager.default.fileExists(atPath: socket), "the socket file is removed at exit")
        }
    }

    @Test func sigintStopsAnIdleServer() throws {
        try withTemporaryPath { directory in
            let taskr = try TaskrProcess(["serve", "--socket", "\(directory)/taskr.sock"], in: directory)
            #expect(taskr.waitForLog("listening on"))
            taskr.signal(SIGINT)
            #expect(taskr.exitStatus() == 0)
        }
    }

    @Test func staleSocketFromACrashIsReplaced() throws {
        try withTemporaryPath { directory in
            let socket = "\(directory)/taskr.sock"
            let crashed = try TaskrProcess(["serve", "--socket", socket], in: directory)
            #expect(crashed.waitForLog("listening on"))
            crashed.signal(SIGKILL)
            #expect(crashed.exitStatus() != nil)
            #expect(FileManager.default.fileExists(atPath: socket), "SIGKILL leaves the socket file behind")

            let taskr = try TaskrProcess(["serve", "--socket", socket], in: directory)
            #expect(taskr.waitForLog("listening on"))
            #expect(try FastCGIClient.request(unixPath: socket, uri: "/healthz").status == 200)
        }
    }

    @Test func liveSocketIsRefusedAndTheFirstServerKeepsServing() throws {
        try withTemporaryPath { directory in
            let socket = "\(directory)/taskr.sock"
            let first = try TaskrProcess(["serve", "--socket", socket], in: directory)
            #expect(first.waitForLog("listening on"))
            let second = try TaskrProcess(["serve", "--socket", socket], in: directory)
            #expect(second.exitStatus() != 0)
            #expect(second.log.contains { $0.contains("another process is already listening on \(socket)") })
            #expect(try FastCGIClient.request(unixPath: socket, uri: "/healthz").status == 200)
        }
    }

    @Test func acceptsOnAListeningSocketPassedAsFd0() throws {
        try withTemporaryPath { directory in
            let socket = "\(directory)/spawned.sock"
            let listener = try listeningUnixSocket(at: socket)
            let taskr = try TaskrProcess(["serve"], in: directory, standardInput: FileHandle(fileDescriptor: listener, closeOnDealloc: true))
            #expect(taskr.waitForLog("listening on inherited socket (fd 0)"))
            #expect(try FastCGIClient.request(unixPath: socket, uri: "/").status == 200)
        }
    }

    @Test func acceptsOnTCPWithBind() throws {
        try withTemporaryPath { directory in
            let port = try freeTCPPort()
            let taskr = try TaskrProcess(["serve", "--bind", "127.0.0.1:\(port)"], in: directory)
            #expect(taskr.waitForLog("listening on 127.0.0.1:\(port)"))
            let client = try FastCGIClient(port: port)
            try client.begin(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/healthz"])
            try client.endStdin()
            #expect(try client.readResponse().status == 200)
        }
    }

    /// FastCGI has no authentication: listening where other hosts can
    /// connect must be asked for by name.
    @Test func bindingANonLoopbackAddressNeedsAllowRemote() throws {
        try withTemporaryPath { directory in
            let port = try freeTCPPort()
            for address in ["0.0.0.0:\(port)", "[::]:\(port)", "192.0.2.1:\(port)"] {
                let refused = try TaskrProcess(["serve", "--bind", address], in: directory)
                #expect(refused.exitStatus() != 0)
                #expect(refused.log.contains { $0.contains("Pass --allow-remote") })
            }
            let allowed = try TaskrProcess(["serve", "--bind", "0.0.0.0:\(port)", "--allow-remote"], in: directory)
            #expect(allowed.waitForLog("listening on 0.0.0.0:\(port)"))
            #expect(try FastCGIClient.request(port: port, uri: "/healthz").status == 200)
        }
    }

    /// FCGI_WEB_SERVER_ADDRS holds for IPv4, IPv6 and a dual-stack socket's
    /// v4-mapped peers (libfcgi checked AF_INET peers only, so over `[::1]`
    /// or `[::]` every peer was answered); a malformed list stops start-up.
    @Test func fcgiWebServerAddrsLimitsWhoMayConnect() throws {
        try withTemporaryPath { directory in
            let port = try freeTCPPort()
            let closed = try TaskrProcess(
                ["serve", "--bind", "[::]:\(port)", "--allow-remote"], in: directory, environment: ["FCGI_WEB_SERVER_ADDRS": "192.0.2.1"])
            #expect(closed.waitForLog("listening on [::]:\(port)"))
            for host in ["127.0.0.1", "::1"] {
                #expect(try FastCGIClient(host: host, port: port, timeout: 5).isClosedByServer(), "\(host) was not closed")
            }
            #expect(closed.waitForLog("closed a FastCGI connection from ::1: not in FCGI_WEB_SERVER_ADDRS"))
            #expect(closed.log.contains { $0.contains("from 127.0.0.1: not in") })

            let openPort = try freeTCPPort()
            let open = try TaskrProcess(
                ["serve", "--bind", "[::]:\(openPort)", "--allow-remote"], in: directory,
                environment: ["FCGI_WEB_SERVER_ADDRS": "127.0.0.0/8, ::1"])
            #expect(open.waitForLog("listening on [::]:\(openPort)"))
            for host in ["127.0.0.1", "::1"] {
                let client = try FastCGIClient(host: host, port: openPort, timeout: 5)
                try client.begin(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/healthz", "SCRIPT_NAME": ""])
                try client.endStdin()
                #expect(try client.readResponse().status == 200)
            }

            let typo = try TaskrProcess(
                ["serve", "--bind", "127.0.0.1:\(try freeTCPPort())"], in: directory, environment: ["FCGI_WEB_SERVER_ADDRS": "127.0.0.1,nginx"])
            #expect(typo.exitStatus() == 78)
            #expect(typo.log.contains { $0.contains("FCGI_WEB_SERVER_ADDRS: \"nginx\" is not an IPv4 or IPv6 address") })
        }
    }

    /// One worker, a peer that connects and says nothing and one that stops
    /// mid-record: the next request is answered within `--read-timeout`,
    /// and `--max-idle-connections` caps what waits.
    @Test(.timeLimit(.minutes(1))) func silentAndIdlePeersAreBounded() throws {
        try withTemporaryPath { directory in
            let socket = "\(directory)/taskr.sock"
            let taskr = try TaskrProcess(
                ["serve", "--socket", socket, "--workers", "1", "--read-timeout", "1", "--max-idle-connections", "2"], in: directory)
            #expect(taskr.waitForLog("listening on unix:\(socket)"))
            let silent = try FastCGIClient(unixPath: socket, timeout: 5)
            let stalled = try FastCGIClient(unixPath: socket, timeout: 5)
            try stalled.sendRaw([1, 1, 0, 1])
            let started = ContinuousClock.now
            #expect(try FastCGIClient.request(unixPath: socket, uri: "/healthz").status == 200)
            #expect(ContinuousClock.now - started < .seconds(2))
            #expect(stalled.isClosedByServer())
            #expect(silent.isClosedByServer())

            var kept: [FastCGIClient] = []
            for _ in 0..<4 {
                let client = try FastCGIClient(unixPath: socket, timeout: 5)
                try client.begin(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/healthz", "SCRIPT_NAME": ""], keepConnection: true)
                try client.endStdin()
                #expect(try client.readResponse().status == 200)
                kept.append(client)
            }
            #expect(kept[0].isClosedByServer() && kept[1].isClosedByServer(), "the two that waited longest are closed")
            #expect(kept[2].isOpenAndQuiet && kept[3].isOpenAndQuiet)
        }
    }

    /// `TASKR_LOG_FORMAT=json`: every line taskr serve writes, from start-up
    /// to the access log, is one JSON object.
    @Test func jsonLogsAreOneObjectALine() throws {
        try withTemporaryPath { directory in
            let socket = "\(directory)/taskr.sock"
            let taskr = try TaskrProcess(["serve", "--socket", socket], in: directory, environment: ["TASKR_LOG_FORMAT": "json"])
            #expect(taskr.waitForLog("listening on unix:\(socket)"))
            #expect(try FastCGIClient.request(unixPath: socket, uri: "/healthz?code=secret").status == 200)
            #expect(taskr.waitForLog("GET /healthz 200"))
            taskr.signal(SIGTERM)
            #expect(taskr.exitStatus() == 0)
            let objects = taskr.log.map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(objects.count >= 3 && objects.allSatisfy { $0 != nil }, "\(taskr.log)")
            let access = objects.compactMap { $0 }.first { ($0["message"] as? String)?.hasPrefix("GET /healthz 200") == true }
            #expect(access?["level"] as? String == "info")
            #expect(access?["source"] as? String == "FastCGI")
            #expect(!taskr.log.contains { $0.contains("secret") })
        }
    }

    @Test func withoutASocketItExplainsWhatToPass() throws {
        try withTemporaryPath { directory in
            let taskr = try TaskrProcess(["serve"], in: directory)
            #expect(taskr.exitStatus() != 0)
            #expect(taskr.log.contains { $0.contains("pass --socket PATH or --bind HOST:PORT") })
        }
    }

    @Test func malformedConfigurationStopsStartUpNamingTheVariable() throws {
        try withTemporaryPath { directory in
            let taskr = try TaskrProcess(["serve", "--socket", "\(directory)/s.sock"], in: directory, environment: ["TASKR_LOG_LEVEL": "loud"])
            #expect(taskr.exitStatus() == 78)
            #expect(taskr.log.contains { $0.contains("TASKR_LOG_LEVEL is invalid") })
        }
    }

    /// systemd socket activation: the socket comes as fd 3 with
    /// LISTEN_FDS/LISTEN_PID, passed by Debian's `systemd-socket-activate`.
    @Test func acceptsOnTheSocketSystemdPasses() throws {
        let launcher = URL(fileURLWithPath: "/usr/bin/systemd-socket-activate")
        try #require(FileManager.default.isExecutableFile(atPath: launcher.path), "needs Debian's systemd package")
        try withTemporaryPath { directory in
            let socket = "\(directory)/activated.sock"
            let taskr = try TaskrProcess(["-l", socket, TaskrProcess.binary.path, "serve"], in: directory, launcher: launcher)
            // The first connection is what makes the launcher start taskr on
            // it; until the launcher listens, connecting is refused.
            #expect(eventually(timeout: .seconds(20)) { (try? FastCGIClient.request(unixPath: socket, uri: "/healthz"))?.status == 200 })
            #expect(taskr.waitForLog("listening on systemd's socket (fd 3)"))
            #expect(try FastCGIClient.request(unixPath: socket, uri: "/").status == 200)
            taskr.signal(SIGTERM)
            #expect(taskr.exitStatus() == 0)
        }
    }

    /// A request still in flight when --drain-timeout runs out: taskr stops
    /// anyway, and says so with exit status 1.
    @Test func exitsOneWhenTheDrainTimeoutRunsOut() throws {
        try withTemporaryPath { directory in
            let socket = "\(directory)/taskr.sock"
            let taskr = try TaskrProcess(
                ["serve", "--socket", socket, "--drain-timeout", "1"], in: directory, environment: ["TASKR_LOG_LEVEL": "debug"])
            #expect(taskr.waitForLog("listening on"))
            let stalled = try FastCGIClient(unixPath: socket, timeout: 5)
            try stalled.begin(params: ["REQUEST_METHOD": "POST", "REQUEST_URI": "/login", "CONTENT_LENGTH": "10"])
            #expect(taskr.waitForLog("POST /login started"))
            taskr.signal(SIGTERM)
            #expect(taskr.exitStatus() == 1)
            withExtendedLifetime(stalled) {}
        }
    }

    /// The housekeeping thread deletes expired rows at start and every 10 minutes.
    @Test func housekeepingDeletesExpiredSessionsAtStart() throws {
        try withTemporaryPath { directory in
            let database = "\(directory)/taskr.sqlite3"
            let first = try TaskrProcess(["serve", "--socket", "\(directory)/a.sock"], in: directory)
            #expect(first.waitForLog("listening on"))
            first.signal(SIGTERM)
            #expect(first.exitStatus() == 0)
            // A user with a session that expired long ago, written as an older taskr would have.
            try sqlite(
                database,
                """
                INSERT INTO users (id, username, username_key, password_hash, created_at) VALUES (1, 'ann', 'ann', 'x', 0);
                INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at) VALUES (x'00', 1, 't', 0, 0);
                INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at)
                    VALUES (x'01', 1, 't', CAST(strftime('%s') AS INTEGER), CAST(strftime('%s') AS INTEGER));
                """)
            let second = try TaskrProcess(
                ["serve", "--socket", "\(directory)/b.sock"], in: directory, environment: ["TASKR_LOG_LEVEL": "debug"])
            #expect(second.waitForLog("housekeeping: removed 1 expired session(s)"))
            #expect(try sqlite(database, "SELECT count(*) FROM sessions") == "1", "the live one stays")
        }
    }

    @Test func logsOneLinePerRequestWithoutTheQuery() throws {
        try withTemporaryPath { directory in
            let socket = "\(directory)/taskr.sock"
            let taskr = try TaskrProcess(["serve", "--socket", socket], in: directory)
            #expect(taskr.waitForLog("listening on"))
            _ = try FastCGIClient.request(unixPath: socket, uri: "/nope?code=secret-oauth-code")
            #expect(taskr.waitForLog("GET /nope 404"))
            #expect(!taskr.log.contains { $0.contains("secret-oauth-code") })
        }
    }
}

/// A listening unix socket, as spawn-fcgi prepares before it execs the child.
func listeningUnixSocket(at path: String) throws -> Int32 {
    let fd = try boundUnixSocket(at: path)
    guard listen(fd, 16) == 0 else { throw FastCGIClient.ProtocolError(description: "listen failed") }
    return fd
}

/// A TCP port on 127.0.0.1 that nobody was using a moment ago.
func freeTCPPort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let port = withUnsafeMutablePointer(to: &address) { pointer -> UInt16? in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            guard bind(fd, $0, length) == 0, getsockname(fd, $0, &length) == 0 else { return nil }
            return UInt16(bigEndian: pointer.pointee.sin_port)
        }
    }
    guard let port else { throw FastCGIClient.ProtocolError(description: "no free port") }
    return port
}

/// Runs `sql` with Debian's sqlite3 shell on `database`; returns its output, trimmed.
@discardableResult
func sqlite(_ database: String, _ sql: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    process.arguments = ["-cmd", ".timeout 5000", database, sql]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw FastCGIClient.ProtocolError(description: "sqlite3 failed: \(sql)") }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}
