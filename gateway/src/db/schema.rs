//! Table definitions, identical on both backends (see `migrations/`).

diesel::table! {
    /// The platform registry: who may call, by client-certificate fingerprint.
    platforms (id) {
        id -> Text,
        role -> Text,
        province -> Nullable<Text>,
        name -> Text,
        status -> Text,
        cert_sha256 -> Text,
        created_at -> Text,
        updated_at -> Text,
    }
}

diesel::table! {
    /// Append-only record of every state-changing request.
    audit_log (id) {
        id -> BigInt,
        at -> Text,
        actor -> Text,
        action -> Text,
        subject -> Text,
        request_id -> Text,
        content_sha256 -> Nullable<Text>,
        detail -> Text,
    }
}
