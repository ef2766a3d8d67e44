//! The `gateway` binary: everything is in the library.

fn main() -> std::process::ExitCode {
    gateway::cli::main()
}
