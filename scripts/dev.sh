#!/usr/bin/env bash
# Command 1: set up (venv, install, migrate, demo city if the database is empty) and run the app.
#
#   scripts/dev.sh                 # http://127.0.0.1:5000
#   HOST=0.0.0.0 PORT=8080 scripts/dev.sh   # reachable from a phone on the same network
#
# Uses the embedded SQLite database instance/survey.db unless DATABASE_URL is set.
# PUBLIC_BASE_URL (printed into household codes) defaults to this address; with HOST=0.0.0.0
# (or ::) it defaults to this machine's LAN IPv4 address, so a phone can open the codes.
# Every start prints three household survey URLs (`flask codes sample`, fresh codes).
# A job worker (`flask jobs worker`, label PDFs and large workbooks) runs beside the app and stops with it.
# The first run writes a random secret key into instance/secret_key (mode 600).
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
. "$(dirname "${BASH_SOURCE[0]}")/_secret_key.sh"
ensure_venv

# This machine's IPv4 address on the local network (empty if none): the interface a packet to
# the outside would leave by (a UDP "connect" sends nothing), else the first of `hostname -I`.
lan_ipv4() {
    python - <<'PY' 2>/dev/null || true
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.connect(("192.0.2.1", 9))
    ip = s.getsockname()[0]
except OSError:
    ip = ""
s.close()
print("" if ip.startswith(("127.", "0.")) else ip)
PY
}

HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-5000}"
case "$HOST" in
    0.0.0.0 | :: | "[::]")
        LAN_IP="$(lan_ipv4)"
        if [ -z "$LAN_IP" ] && command -v hostname >/dev/null; then
            LAN_IP="$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+(\.[0-9]+){3}$' | grep -v '^127\.' | head -n1 || true)"
        fi
        SHOW_HOST="${LAN_IP:-127.0.0.1}" ;;
    *:*) SHOW_HOST="[$HOST]" ;;
    *) SHOW_HOST="$HOST" ;;
esac
ADDRESS="http://$SHOW_HOST:$PORT"
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-$ADDRESS}"
export FLASK_APP=wsgi
mkdir -p instance
ensure_secret_key instance  # read by survey_app/config.py unless SECRET_KEY is set

if [ -n "${DATABASE_URL:-}" ]; then
    echo "==> database: DATABASE_URL"
else
    echo "==> database: instance/survey.db (SQLite)"
fi

echo "==> flask db upgrade"
flask db upgrade

was_empty="$(python - <<'PY'
from wsgi import app
from survey_app.domain import demo

with app.app_context():
    print("yes" if demo.is_empty() else "no")
PY
)"

echo "==> flask demo --if-empty"
flask demo --if-empty
if [ "$was_empty" != "yes" ]; then
    echo "演示账号（密码均为 demo12345）：city  district  street  grid  company"
    echo "Demo logins (password demo12345): city, district, street, grid, company"
    # The demo printed its own three URLs when it loaded; on later starts issue fresh ones.
    echo "==> flask codes sample --count 3"
    flask codes sample --count 3 || echo "    (no sample household codes: see the message above)"
fi

echo
echo "==> 满意物业测评平台 running at $ADDRESS  (Ctrl-C to stop)"
echo "    public base URL for codes: $PUBLIC_BASE_URL"
case "$HOST" in
    0.0.0.0 | :: | "[::]")
        echo "    on this machine also http://127.0.0.1:$PORT; a phone on the same network opens $ADDRESS"
        [ -n "${LAN_IP:-}" ] || echo "    (no LAN IPv4 address found: set PUBLIC_BASE_URL=http://<LAN IP>:$PORT)" ;;
esac
echo
# Long work (a street's label PDF, large workbooks) runs as jobs: one worker in the background on the
# embedded SQLite queue instance/jobs.db (or JOBS_URL), stopped with the app.
echo "==> flask jobs worker (background jobs) on ${JOBS_URL:-instance/jobs.db}"
flask jobs worker --workers 2 &
worker_pid=$!
trap 'kill -TERM "$worker_pid" 2>/dev/null || true; wait "$worker_pid" 2>/dev/null || true' EXIT
flask run --host "$HOST" --port "$PORT"
