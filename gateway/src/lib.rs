//! The YRD demonstration-zone public-resource trading gateway.
//!
//! Platforms of Shanghai, Jiangsu and Zhejiang call the HTTPS API with mutual TLS; operators
//! administer it. See `ARCHITECTURE.md` for the map. Entry points: [`cli::main`] for the binary,
//! [`startup::Application::build`] for the server (the tests call it too).

pub mod bridge;
pub mod cli;
pub mod config;
pub mod db;
pub mod delivery;
pub mod demo;
pub mod exchange;
pub mod http;
pub mod metrics;
pub mod problem;
pub mod receipts;
pub mod registry;
pub mod retention;
pub mod routes;
pub mod shutdown;
pub mod startup;
pub mod telemetry;
pub mod tls;
