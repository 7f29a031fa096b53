// An internal service protected by idmap access tokens, in Go.
//
// Validates every bearer token locally with go-jose against the issuer's
// JWKS (no call to auth-server per request), with the same checks and the
// same RFC 6750 answers as the Rust extractors in idmap-actix-auth.
//
//	ISSUER=http://127.0.0.1:8081 AUDIENCE=idmap LISTEN=127.0.0.1:8092 go run .
//
// Settings: ISSUER (auth-server's AUTH_ISSUER), AUDIENCE (default idmap),
// LISTEN (default 127.0.0.1:8092), JWKS_URL (optional: where to fetch the
// keys when the public issuer URL is not reachable from the service).
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	jose "gopkg.in/square/go-jose.v2"
	"gopkg.in/square/go-jose.v2/jwt"
)

// Only asymmetric algorithms: accepting HS256 would let anyone holding the
// public key sign tokens.
var allowedAlgorithms = map[string]bool{"RS256": true, "ES256": true, "EdDSA": true}

const leeway = 30 * time.Second

// accessClaims are the RFC 9068 claims auth-server puts in every token.
type accessClaims struct {
	jwt.Claims
	ClientID string `json:"client_id"`
	Scope    string `json:"scope"`
	Partner  string `json:"partner,omitempty"`
}

func (c *accessClaims) hasScope(wanted string) bool {
	// One space-separated string (RFC 9068 section 2.2.3).
	for _, s := range strings.Split(c.Scope, " ") {
		if s == wanted {
			return true
		}
	}
	return false
}

// keySet caches the issuer's JWKS and refetches it, at most every few
// seconds, when a token names a kid it does not hold: that is how keys
// rotated by auth-server are picked up.
type keySet struct {
	url       string
	mu        sync.Mutex
	keys      jose.JSONWebKeySet
	fetchedAt time.Time
}

func (k *keySet) key(kid string) (*jose.JSONWebKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if found := k.keys.Key(kid); len(found) > 0 && time.Since(k.fetchedAt) < 5*time.Minute {
		return &found[0], nil
	}
	if time.Since(k.fetchedAt) > 5*time.Second {
		if err := k.fetch(); err != nil {
			return nil, err
		}
	}
	if found := k.keys.Key(kid); len(found) > 0 {
		return &found[0], nil
	}
	return nil, errors.New("unknown kid")
}

func (k *keySet) fetch() error {
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(k.url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("JWKS answered %d", resp.StatusCode)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		return err
	}
	k.keys = set
	k.fetchedAt = time.Now()
	return nil
}

type validator struct {
	issuer   string
	audience string
	keys     *keySet
}

// authError is an RFC 6750 failure: code "" means no token was sent.
type authError struct {
	status int
	code   string
	desc   string
	scope  string
}

func (v *validator) claims(r *http.Request) (*accessClaims, *authError) {
	values := r.Header.Values("Authorization")
	if len(values) == 0 {
		return nil, &authError{status: 401, desc: "missing bearer token"}
	}
	if len(values) > 1 {
		return nil, &authError{status: 401, code: "invalid_token", desc: "more than one Authorization header"}
	}
	scheme, token, _ := strings.Cut(values[0], " ")
	if !strings.EqualFold(scheme, "bearer") {
		return nil, &authError{status: 401, desc: "missing bearer token"}
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, &authError{status: 401, code: "invalid_token", desc: "empty bearer token"}
	}
	c, err := v.verify(token)
	if err != nil {
		return nil, &authError{status: 401, code: "invalid_token", desc: "the access token is invalid"}
	}
	return c, nil
}

func (v *validator) verify(token string) (*accessClaims, error) {
	parsed, err := jwt.ParseSigned(token)
	if err != nil {
		return nil, err
	}
	if len(parsed.Headers) != 1 {
		return nil, errors.New("one signature expected")
	}
	header := parsed.Headers[0]
	if !allowedAlgorithms[header.Algorithm] {
		return nil, errors.New("algorithm not allowed")
	}
	// RFC 9068: an access token says so, so another JWT signed by the same
	// key is not accepted in its place.
	typ, _ := header.ExtraHeaders[jose.HeaderType].(string)
	if t := strings.ToLower(typ); t != "at+jwt" && t != "application/at+jwt" {
		return nil, errors.New("typ is not at+jwt")
	}
	key, err := v.keys.key(header.KeyID)
	if err != nil {
		return nil, err
	}
	if key.Algorithm != "" && key.Algorithm != header.Algorithm {
		return nil, errors.New("algorithm does not match the key")
	}
	var c accessClaims
	if err := parsed.Claims(key.Key, &c); err != nil {
		return nil, err
	}
	if c.Issuer == "" || c.Subject == "" || c.Expiry == nil || c.IssuedAt == nil ||
		c.NotBefore == nil || c.ID == "" || c.ClientID == "" || c.Scope == "" {
		return nil, errors.New("a required claim is missing")
	}
	expected := jwt.Expected{Issuer: v.issuer, Audience: jwt.Audience{v.audience}, Time: time.Now()}
	if err := c.ValidateWithLeeway(expected, leeway); err != nil {
		return nil, err
	}
	return &c, nil
}

func answer(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (v *validator) fail(w http.ResponseWriter, e *authError) {
	challenge := fmt.Sprintf("Bearer realm=%q", v.audience)
	code := e.code
	if code != "" {
		challenge += fmt.Sprintf(", error=%q", code)
	} else {
		code = "unauthorized"
	}
	if e.scope != "" {
		challenge += fmt.Sprintf(", scope=%q", e.scope)
	}
	w.Header().Set("WWW-Authenticate", challenge)
	answer(w, e.status, map[string]string{"error": code, "error_description": e.desc})
}

func jwksURL(issuer string) (string, error) {
	if u := os.Getenv("JWKS_URL"); u != "" {
		return u, nil
	}
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(strings.TrimRight(issuer, "/") + "/.well-known/oauth-authorization-server")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var metadata struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&metadata); err != nil {
		return "", err
	}
	return metadata.JWKSURI, nil
}

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func main() {
	issuer := env("ISSUER", "http://127.0.0.1:8081")
	url, err := jwksURL(issuer)
	if err != nil {
		log.Fatalf("cannot find the issuer's JWKS: %v", err)
	}
	keys := &keySet{url: url}
	if err := keys.fetch(); err != nil {
		log.Fatalf("cannot load the issuer's JWKS: %v", err)
	}
	v := &validator{issuer: issuer, audience: env("AUDIENCE", "idmap"), keys: keys}

	http.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		c, e := v.claims(r)
		if e != nil {
			v.fail(w, e)
			return
		}
		answer(w, 200, map[string]string{"sub": c.Subject, "client_id": c.ClientID, "scope": c.Scope, "partner": c.Partner})
	})
	http.HandleFunc("/reports", func(w http.ResponseWriter, r *http.Request) {
		c, e := v.claims(r)
		if e == nil && !c.hasScope("idmap:read") {
			e = &authError{status: 403, code: "insufficient_scope", desc: "the token lacks scope idmap:read", scope: "idmap:read"}
		}
		if e != nil {
			v.fail(w, e)
			return
		}
		answer(w, 200, map[string]any{"reports": []string{}, "requested_by": c.ClientID})
	})
	listen := env("LISTEN", "127.0.0.1:8092")
	log.Printf("protected service listening on %s", listen)
	log.Fatal(http.ListenAndServe(listen, nil))
}
