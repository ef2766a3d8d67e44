//! Certificate path validation and signature verification for the CA mutual-recognition bridge.
