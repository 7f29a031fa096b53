# Helpers of the scripts that start the services on this machine for a
# measurement (bench.sh, profile-auth.sh, profile-link.sh); sourced, not run.

# Runs a command as nobody when root, since PostgreSQL refuses to run as root.
as_nobody() {
    if [ "$(id -u)" = 0 ]; then setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; else "$@"; fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_http URL [TENTHS]: waits until URL answers 2xx, at most TENTHS tenths
# of a second (default 300).
wait_http() {
    for _ in $(seq "${2:-300}"); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "timed out waiting for $1" >&2
    return 1
}

# json_field NAME: the string value of NAME in the JSON on standard input.
json_field() { sed -n "s/.*\"$1\": *\"\\([^\"]*\\)\".*/\\1/p"; }
