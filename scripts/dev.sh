#!/usr/bin/env bash
# Command 1: set up (venv, install, migrate, demo city if the database is empty) and run the app.
#
#   scripts/dev.sh                 # http://127.0.0.1:5000
#   HOST=0.0.0.0 PORT=8080 scripts/dev.sh
#
# Uses the embedded SQLite database instance/survey.db unless DATABASE_URL is set.
# PUBLIC_BASE_URL (printed into household codes) defaults to this address.
# The first run writes a random secret key into instance/secret_key (mode 600).
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
. "$(dirname "${BASH_SOURCE[0]}")/_secret_key.sh"
ensure_venv

HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-5000}"
case "$HOST" in
    0.0.0.0 | :: | "[::]") SHOW_HOST=127.0.0.1 ;;
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
fi

echo
echo "==> 满意物业测评平台 running at $ADDRESS  (Ctrl-C to stop)"
echo "    public base URL for codes: $PUBLIC_BASE_URL"
echo
exec flask run --host "$HOST" --port "$PORT"
