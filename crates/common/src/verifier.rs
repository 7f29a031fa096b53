//! JWT verification against a cached JWKS (being written).
