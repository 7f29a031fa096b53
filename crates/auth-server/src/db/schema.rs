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
        owner_user_id -> Nullable<Text>,
        homepage -> Nullable<Text>,
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

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        password_hash -> Text,
        email_verified -> Bool,
        created_at -> BigInt,
        disabled -> Bool,
        session_generation -> BigInt,
    }
}

diesel::table! {
    authorization_codes (code_hash) {
        code_hash -> Binary,
        client_id -> Text,
        user_id -> Text,
        redirect_uri -> Text,
        scopes -> Text,
        resource -> Nullable<Text>,
        code_challenge -> Nullable<Text>,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
        family_id -> Nullable<Text>,
        access_jti -> Nullable<Text>,
        access_expires_at -> Nullable<BigInt>,
        redirect_uri_given -> Bool,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Binary,
        family_id -> Text,
        client_id -> Text,
        user_id -> Nullable<Text>,
        scopes -> Text,
        resource -> Nullable<Text>,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
        revoked -> Bool,
        access_jti -> Text,
        access_expires_at -> BigInt,
        family_expires_at -> BigInt,
    }
}

diesel::table! {
    revoked_tokens (jti) {
        jti -> Text,
        expires_at -> BigInt,
    }
}

diesel::table! {
    email_tokens (token_hash) {
        token_hash -> Binary,
        user_id -> Text,
        purpose -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    consents (id) {
        id -> Text,
        user_id -> Text,
        client_id -> Text,
        scopes -> Text,
        created_at -> BigInt,
        last_used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    user_groups (id) {
        id -> Text,
        partner_code -> Text,
        name -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    group_members (user_id, group_id) {
        user_id -> Text,
        group_id -> Text,
        role -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    entitlements (id) {
        id -> Text,
        user_id -> Nullable<Text>,
        group_id -> Nullable<Text>,
        scope -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    auth_failures (bucket) {
        bucket -> Binary,
        window_start -> BigInt,
        failures -> BigInt,
    }
}

diesel::joinable!(clients -> partners (partner_code));
diesel::joinable!(entitlements -> users (user_id));
diesel::joinable!(entitlements -> user_groups (group_id));
diesel::joinable!(group_members -> user_groups (group_id));
diesel::joinable!(group_members -> users (user_id));
diesel::joinable!(client_secrets -> clients (client_id));
diesel::allow_tables_to_appear_in_same_query!(
    partners,
    clients,
    client_secrets,
    users,
    authorization_codes,
    refresh_tokens,
    revoked_tokens,
    email_tokens,
    consents,
    user_groups,
    group_members,
    entitlements,
    auth_failures
);
