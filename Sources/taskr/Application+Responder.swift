public import FastCGI
public import TaskrCore

/// The application answers FastCGI requests as it is: its `respond(to:)`
/// already has the responder's shape.
extension Application: Responder {}
