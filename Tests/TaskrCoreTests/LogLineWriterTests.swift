import Foundation
import Logging
import Testing

@testable import TaskrCore

/// The access log's writer: off the workers' threads, and still every line,
/// whole and in order.
@Suite("Log lines written off the request path")
struct LogLineWriterTests {
    /// 8 threads, 2,000 lines each, through one writer into a pipe: every
    /// line arrives whole, and each thread's lines in the order it wrote them.
    @Test func everyLineArrivesWholeAndInOrder() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let reading = Thread.detachNewReader(ends[0])
        let writer = LogLineWriter(descriptor: ends[1])
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for line in 0..<2000 { writer.append(Array("thread \(thread) line \(line) \(String(repeating: "x", count: 50))\n".utf8)) }
        }
        writer.flush()
        close(ends[1])
        let lines = reading.wait().split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 8 * 2000)
        var next = [Int](repeating: 0, count: 8)
        for line in lines {
            let match = try #require(line.wholeMatch(of: /thread (\d) line (\d+) x{50}/), "\(line)")
            let thread = try #require(Int(match.1))
            #expect(Int(match.2) == next[thread], "thread \(thread) out of order")
            next[thread] += 1
        }
        #expect(next == [Int](repeating: 2000, count: 8))
    }

    /// An urgent line (the handler's error and critical) is written, with
    /// everything before it, by the time `append` returns.
    @Test func anUrgentLineIsWrittenBeforeAppendReturns() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { for end in ends { close(end) } }
        #expect(fcntl(ends[0], F_SETFL, O_NONBLOCK) == 0)
        var logger = Logger(label: "taskr") {
            StandardErrorLogHandler(label: $0, writer: LogLineWriter(descriptor: ends[1]))
        }
        logger.logLevel = .info
        logger.info("GET / 200 0.3ms")
        logger.error("the database is gone")
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = read(ends[0], &buffer, buffer.count)
        let text = String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2, "\(text)")
        #expect(lines.first?.hasSuffix("GET / 200 0.3ms") == true)
        #expect(lines.last?.hasSuffix("the database is gone") == true)
    }

    /// Each `write(2)` carries whole lines, at most `PIPE_BUF` bytes of them
    /// (one longer line alone), so lines from processes sharing a pipe never
    /// interleave. A SOCK_SEQPACKET pair keeps each write's bounds.
    @Test func eachWriteIsWholeLinesWithinPipeBuf() throws {
        var pair: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue), 0, &pair) == 0)
        defer { for end in pair { close(end) } }
        var size = Int32(1 << 20)
        setsockopt(pair[1], SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        let short = (0..<200).map { "line \($0) \(String(repeating: "y", count: 40))\n" }
        let long = String(repeating: "z", count: Int(PIPE_BUF) + 500) + "\n"
        let lines = short.prefix(100) + [long] + short.dropFirst(100)
        LogLineWriter.writeLines(Array(lines.joined().utf8), to: pair[1])
        #expect(shutdown(pair[1], Int32(SHUT_WR)) == 0)
        var received: [String] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while case let count = recv(pair[0], &buffer, buffer.count, 0), count > 0 {
            received.append(String(decoding: buffer.prefix(count), as: UTF8.self))
        }
        #expect(received.joined() == lines.joined())
        #expect(received.count > 3, "the lines went out in several writes")
        for message in received {
            #expect(message.hasSuffix("\n"), "a write ends inside a line")
            #expect(message.utf8.count <= Int(PIPE_BUF) || message == long, "a write over PIPE_BUF: \(message.utf8.count) bytes")
        }
    }
}
