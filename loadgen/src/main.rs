//! Publishing benchmark over mutual TLS (work in progress).

fn main() {
    eprintln!("loadgen: not implemented yet");
    std::process::exit(2);
}
