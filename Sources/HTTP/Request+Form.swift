extension Request {
    /// The media type every Taskr form is posted as.
    public static let formContentType = "application/x-www-form-urlencoded"

    /// The body decoded as an HTML form.
    ///
    /// - Throws: ``HTTPError`` 415 when the body is declared as anything but
    ///   `application/x-www-form-urlencoded` (parameters such as `charset`
    ///   are allowed; a missing type on an empty body is an empty form), and
    ///   400 when it does not decode.
    public func form() throws(HTTPError) -> Parameters {
        let mediaType = headers["Content-Type"]?
            .split(separator: ";", maxSplits: 1).first?
            .trimmingOptionalWhitespace()
            .lowercased()
        switch mediaType {
        case Self.formContentType:
            return try Parameters(urlEncoded: body)
        case nil where body.isEmpty:
            return Parameters()
        default:
            throw HTTPError.unsupportedMediaType(expected: Self.formContentType)
        }
    }
}
