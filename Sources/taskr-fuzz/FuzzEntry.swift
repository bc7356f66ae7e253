import Foundation
import TaskrFuzzing

#if FUZZING
    import CLibFuzzer
#endif

/// Two builds of one program.
///
/// With `-D FUZZING -sanitize=fuzzer` (`make fuzz`) it is a libFuzzer
/// binary: libFuzzer's options and corpus folders on the command line, the
/// target named by `TASKR_FUZZ_TARGET`. Without, `taskr-fuzz TARGET FILE…`
/// replays inputs, which is how a crash found by CI is looked at again.
@main
struct FuzzEntry {
    static func main() {
        #if FUZZING
            _ = fuzzTarget
            var argc = CommandLine.argc
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
            exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
        #else
            let arguments = CommandLine.arguments.dropFirst()
            guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
                fail("usage: taskr-fuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) FILE…")
            }
            for path in arguments.dropFirst() {
                guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
                target.run(Array(data))
                print("\(path): ok")
            }
        #endif
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(2)
    }
}

#if FUZZING
    /// The target named by `TASKR_FUZZ_TARGET`, looked up once.
    private let fuzzTarget: FuzzTarget = {
        guard let name = ProcessInfo.processInfo.environment["TASKR_FUZZ_TARGET"], let target = FuzzTarget(rawValue: name) else {
            FuzzEntry.fail("TASKR_FUZZ_TARGET must be one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return target
    }()

    /// libFuzzer's callback. Also defined under its conventional name because
    /// clang's runtime links its own `main`, which refers to it.
    @_cdecl("LLVMFuzzerTestOneInput")
    func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        fuzzTarget.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }
#endif
