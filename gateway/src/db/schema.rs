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

diesel::table! {
    /// One row per notice, identified by (source platform, source notice id).
    notices (id) {
        id -> Text,
        source_platform -> Text,
        source_notice_id -> Text,
        kind -> Text,
        category -> Text,
        region -> Text,
        project_code -> Text,
        title -> Text,
        notice_number -> Nullable<Text>,
        status -> Text,
        current_version -> Integer,
        published_at -> Text,
        first_seq -> BigInt,
        created_at -> Text,
        updated_at -> Text,
    }
}

diesel::table! {
    /// Immutable versions of a notice, with the original bytes as sent.
    notice_versions (notice_id, version) {
        notice_id -> Text,
        version -> Integer,
        document_id -> Text,
        kind -> Text,
        canonical -> Text,
        canonical_sha256 -> Text,
        original -> Binary,
        original_content_type -> Text,
        original_sha256 -> Text,
        request_id -> Text,
        created_at -> Text,
    }
}

diesel::table! {
    /// The feed and outbox, in commit order.
    feed_events (seq) {
        seq -> BigInt,
        event_id -> Text,
        event_type -> Text,
        notice_id -> Text,
        version -> Integer,
        source_platform -> Text,
        committed_at -> Text,
    }
}

diesel::table! {
    /// The single row that hands out feed sequence numbers.
    feed_counter (id) {
        id -> Integer,
        last_seq -> BigInt,
    }
}

diesel::table! {
    /// `Idempotency-Key` headers seen per platform.
    idempotency_keys (platform_id, idem_key) {
        platform_id -> Text,
        idem_key -> Text,
        request_sha256 -> Text,
        notice_id -> Text,
        version -> Integer,
        created_at -> Text,
    }
}

diesel::joinable!(notice_versions -> notices (notice_id));

diesel::table! {
    /// Webhook subscriptions, one per platform.
    subscriptions (platform_id) {
        platform_id -> Text,
        url -> Text,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<Text>,
        format -> Text,
        filters -> Text,
        created_at -> Text,
        updated_at -> Text,
    }
}

diesel::table! {
    /// The outbox: one row per (subscriber, feed event) until delivered or dead.
    deliveries (id) {
        id -> Text,
        platform_id -> Text,
        event_seq -> BigInt,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Text,
        locked_by -> Nullable<Text>,
        locked_until -> Nullable<Text>,
        last_error -> Nullable<Text>,
        created_at -> Text,
        committed_at -> Text,
        delivered_at -> Nullable<Text>,
    }
}

diesel::table! {
    /// Every signed trust list installed; the highest sequence is the one in use.
    trust_lists (sequence) {
        sequence -> BigInt,
        payload_sha256 -> Text,
        issued_at -> BigInt,
        next_update -> BigInt,
        signed_document -> Binary,
        installed_at -> Text,
        installed_by -> Text,
    }
}

diesel::table! {
    /// The newest accepted CRL per issuer and scope.
    crls (issuer_key, scope) {
        issuer_key -> Text,
        scope -> Text,
        issuer -> Text,
        service_id -> Text,
        province -> Text,
        this_update -> BigInt,
        next_update -> BigInt,
        crl_number -> Nullable<Text>,
        der -> Binary,
        sha256 -> Text,
        source -> Text,
        stored_at -> Text,
    }
}

diesel::table! {
    /// One row: the revocation-data version, bumped by every trust-list or CRL change.
    bridge_state (id) {
        id -> Integer,
        revocation_version -> BigInt,
    }
}

diesel::table! {
    /// Signed verification receipts (append-only).
    receipts (id) {
        id -> Text,
        created_at -> Text,
        platform_id -> Text,
        kind -> Text,
        valid -> Bool,
        jws -> Text,
        payload_sha256 -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    notices,
    notice_versions,
    feed_events,
    deliveries,
    subscriptions
);
