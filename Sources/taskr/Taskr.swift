import ArgumentParser

@main
struct Taskr: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taskr",
        abstract: "Taskr: your Attio tasks, served over FastCGI behind nginx.",
        discussion: """
            Configuration comes from the environment and from a .env file in the \
            working directory (the environment wins); see README.md for every variable.
            """,
        subcommands: [Serve.self, Migrate.self, Check.self, Reseal.self, Users.self, Backup.self, CopyDatabase.self]
    )
}
