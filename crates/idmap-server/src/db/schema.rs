//! Diesel table definitions; they mirror `migrations/idmap/*` (all three
//! backends declare the same columns with their own SQL types).

diesel::table! {
    /// Rule codes a hash may be submitted under.
    rules (code) {
        code -> Text,
        description -> Text,
        created_at -> BigInt,
        priority -> Integer,
        m -> Nullable<Double>,
        u -> Nullable<Double>,
    }
}

diesel::table! {
    /// Every UUID handed out and stored; `merged_into` aliases a merged one.
    uuids (uuid) {
        uuid -> Binary,
        created_at -> BigInt,
        merged_into -> Nullable<Binary>,
    }
}

diesel::table! {
    /// Hash to UUID, bound once, forever.
    bindings (hash) {
        hash -> Binary,
        uuid -> Binary,
        rule -> Nullable<Text>,
        partner -> Text,
        ambiguous -> Bool,
        created_at -> BigInt,
    }
}

diesel::table! {
    /// A partner's own patient id and the UUID it was answered with.
    patient_refs (patient_ref, partner) {
        partner -> Text,
        patient_ref -> Text,
        uuid -> Binary,
        created_at -> BigInt,
    }
}

diesel::table! {
    /// Patients whose hashes pointed at several UUIDs, for admins to review.
    conflicts (id) {
        id -> BigInt,
        dedupe_key -> Binary,
        partner -> Text,
        patient_ref -> Nullable<Text>,
        uuid -> Binary,
        candidates -> Binary,
        status -> Text,
        created_at -> BigInt,
        resolved_at -> Nullable<BigInt>,
        resolved_by -> Nullable<Text>,
        resolution -> Nullable<Text>,
    }
}

diesel::table! {
    /// Admin merges: `from_uuid` now answers `into_uuid`; at most one per UUID.
    merges (id) {
        id -> BigInt,
        from_uuid -> Binary,
        into_uuid -> Binary,
        requested_into -> Binary,
        merged_by -> Text,
        request_id -> Text,
        merged_at -> BigInt,
    }
}

diesel::table! {
    /// Append-only record of link requests (counts only) and admin actions.
    audit_log (id) {
        id -> BigInt,
        at -> BigInt,
        action -> Text,
        partner -> Nullable<Text>,
        client_id -> Text,
        request_id -> Text,
        patients -> BigInt,
        new_uuids -> BigInt,
        matched -> BigInt,
        conflicts -> BigInt,
        ambiguous -> BigInt,
        detail -> Nullable<Text>,
    }
}

diesel::table! {
    /// Why each ambiguous hash is ambiguous, and the partner that made it so.
    ambiguous_hashes (id) {
        id -> BigInt,
        hash -> Binary,
        partner -> Text,
        reason -> Text,
        refs -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    /// Pairs of one partner's refs that one UUID answers (policies `link`
    /// and `evidence`), for the partner to review.
    duplicates (id) {
        id -> BigInt,
        partner -> Text,
        ref_a -> Text,
        ref_b -> Text,
        rules -> Text,
        created_at -> BigInt,
        distinct_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// Pairs of one partner's refs declared to be different people.
    distinct_refs (partner, ref_a, ref_b) {
        partner -> Text,
        ref_a -> Text,
        ref_b -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    /// Refs under which a partner sent a hash bound to a UUID it holds
    /// under another ref.
    shared_hashes (hash, partner, patient_ref) {
        hash -> Binary,
        partner -> Text,
        patient_ref -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    /// How often each rule agreement pattern was seen between a patient and
    /// a candidate UUID.
    agreement_patterns (pattern_key) {
        pattern_key -> Binary,
        pattern -> Text,
        comparisons -> BigInt,
    }
}

diesel::joinable!(bindings -> uuids (uuid));
diesel::joinable!(patient_refs -> uuids (uuid));
diesel::allow_tables_to_appear_in_same_query!(
    rules,
    uuids,
    bindings,
    patient_refs,
    conflicts,
    merges,
    audit_log,
    ambiguous_hashes,
    duplicates,
    distinct_refs,
    shared_hashes,
    agreement_patterns
);
