import Curl
import Foundation
import Glibc
import HTTP
import Testing

/// An HTTPS server on 127.0.0.1 (Python's `ssl` and `http.server`) with a
/// fresh certificate made by the openssl command for `subjectAltName`;
/// stopped and its files removed afterwards.
private func withTLSServer<T>(subjectAltName: String, _ body: (_ url: String, _ certificate: String) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("taskr-tls-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let certificate = directory.appendingPathComponent("cert.pem").path
    let key = directory.appendingPathComponent("key.pem").path

    let openssl = Process()
    openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
    openssl.arguments = [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
        "-keyout", key, "-out", certificate, "-subj", "/CN=taskr test", "-addext", "subjectAltName=\(subjectAltName)",
    ]
    openssl.standardError = FileHandle.nullDevice
    try openssl.run()
    openssl.waitUntilExit()
    try #require(openssl.terminationStatus == 0, "openssl could not make a certificate")

    let server = Process()
    server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    server.arguments = [
        "python3", "-c",
        """
        import http.server, ssl, sys
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = b"over TLS"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[1], sys.argv[2])
        server.socket = context.wrap_socket(server.socket, server_side=True)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """, certificate, key,
    ]
    let output = Pipe()
    server.standardOutput = output
    server.standardError = FileHandle.nullDevice
    try server.run()
    defer {
        // SIGKILL: a child of the test runner starts with SIGTERM blocked.
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
    }
    var printed = Data()
    while !printed.contains(UInt8(ascii: "\n")) {
        let chunk = output.fileHandleForReading.availableData
        try #require(!chunk.isEmpty, "the TLS server did not start")
        printed.append(chunk)
    }
    let port = String(decoding: printed, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    return try body("https://127.0.0.1:\(port)/", certificate)
}

private func get(_ url: String, trusting certificate: String?) throws(CurlError) -> OutboundResponse {
    try CurlClient(options: .init(connectTimeout: 5, maxResponseBytes: 1024, trustedCertificates: certificate))
        .perform(OutboundRequest(url: URL(string: url)!, timeout: 5))
}

@Suite("Outbound HTTPS: certificates are verified")
struct TLSTests {
    @Test func aTrustedCertificateForTheHostWorks() throws {
        _ = try withTLSServer(subjectAltName: "IP:127.0.0.1") { url, certificate in
            let response = try get(url, trusting: certificate)
            #expect(response.status == 200)
            #expect(String(decoding: response.body, as: UTF8.self) == "over TLS")
        }
    }

    @Test func aCertificateNobodyTrustsIsRefused() throws {
        _ = try withTLSServer(subjectAltName: "IP:127.0.0.1") { url, _ in
            let error = #expect(throws: CurlError.self) { try get(url, trusting: nil) }
            #expect(error?.description.contains("certificate") == true, "\(String(describing: error))")
        }
    }

    @Test func aTrustedCertificateForAnotherHostIsRefused() throws {
        _ = try withTLSServer(subjectAltName: "DNS:api.attio.example") { url, certificate in
            let error = #expect(throws: CurlError.self) { try get(url, trusting: certificate) }
            #expect(error?.description.contains("certificate") == true, "\(String(describing: error))")
        }
    }
}
