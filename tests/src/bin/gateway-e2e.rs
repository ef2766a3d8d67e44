//! The `gateway` binary, rebuilt inside the `tests` package so that its integration tests can run it
//! (`env!("CARGO_BIN_EXE_gateway-e2e")`). Same thin `main` as `gateway/src/main.rs`.

fn main() -> std::process::ExitCode {
    gateway::cli::main()
}
