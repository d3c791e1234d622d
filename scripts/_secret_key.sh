# Sourced by scripts/dev.sh: a random secret key for this checkout, kept in instance/secret_key.
#
# Generated on first run (mode 600) and read by survey_app/config.py when SECRET_KEY is not set,
# so no two checkouts share a key and nothing fixed can sign a session. Production sets SECRET_KEY.

ensure_secret_key() {
    local dir="$1" file="$1/secret_key"
    if [ -n "${SECRET_KEY:-}" ] || [ -s "$file" ]; then
        return 0
    fi
    mkdir -p "$dir"
    echo "==> generating a random secret key in $file"
    (umask 077 && python3 -c 'import secrets; print(secrets.token_hex(32))' > "$file.tmp")
    chmod 600 "$file.tmp"
    mv "$file.tmp" "$file"
}
