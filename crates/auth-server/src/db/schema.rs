//! Diesel table definitions; they must match `migrations/auth/*`.

diesel::table! {
    partners (code) {
        code -> Text,
        name -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    clients (client_id) {
        client_id -> Text,
        name -> Nullable<Text>,
        partner_code -> Nullable<Text>,
        scopes -> Text,
        is_public -> Bool,
        redirect_uris -> Text,
        disabled -> Bool,
        created_at -> BigInt,
    }
}

diesel::table! {
    client_secrets (secret_id) {
        secret_id -> Binary,
        client_id -> Text,
        secret_hash -> Binary,
        created_at -> BigInt,
        expires_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(clients -> partners (partner_code));
diesel::joinable!(client_secrets -> clients (client_id));
diesel::allow_tables_to_appear_in_same_query!(partners, clients, client_secrets);
