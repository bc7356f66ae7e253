import Foundation
import Mustache

/// The HTML pages, rendered from the mustache templates in `Templates/`.
///
/// Templates are parsed once at start-up. Every template is loaded with the
/// pragma that selects ``ScalarHTMLEscaping`` put in front of its text, so
/// `{{value}}` escapes per byte in every template, partial and inherited
/// block, including templates added later: none can forget it. (A partial
/// starts again with mustache's own per-`Character` escaping, which is why
/// the pragma goes into each template rather than once at the top.)
public struct Views: Sendable {
    private let library: MustacheLibrary
    /// Every template's name (its file name without `.mustache`).
    let templateNames: [String]

    /// Loads every `.mustache` file of `directory`.
    public init(directory: String) async throws {
        MustacheContentTypes.register(ScalarHTMLEscaping(), named: ScalarHTMLEscaping.name)
        let pragma = "{{% CONTENT_TYPE: \(ScalarHTMLEscaping.name) }}"
        var library = MustacheLibrary()
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".mustache") }
        for file in files {
            let text = try String(contentsOfFile: "\(directory)/\(file)", encoding: .utf8)
            try library.register(pragma + text, named: String(file.dropLast(".mustache".count)))
        }
        self.library = library
        self.templateNames = files.map { String($0.dropLast(".mustache".count)) }.sorted()
    }

    /// Loads the templates bundled with TaskrCore.
    public static func bundled() async throws -> Views {
        guard let directory = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Templates"])
        }
        return try await Views(directory: directory.path)
    }

    /// Renders the template `name` with `context`.
    /// - Warning: a missing template is a programming error and traps.
    func render(_ name: String, _ context: Any) -> String {
        guard let html = library.render(context, withTemplate: name) else {
            preconditionFailure("no template named \(name)")
        }
        return html
    }
}
