import Foundation
import Mustache

/// The HTML pages, rendered from the mustache templates in `Templates/`.
///
/// Templates are parsed once at start-up; `{{value}}` HTML-escapes, so every
/// interpolated value is escaped unless a template says otherwise (none do).
public struct Views: Sendable {
    private let library: MustacheLibrary

    /// Loads every `.mustache` file of `directory`.
    public init(directory: String) async throws {
        library = try await MustacheLibrary(directory: directory)
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
