//! Rebuilds the gateway when a migration is added: `embed_migrations!` cannot tell Cargo itself.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
