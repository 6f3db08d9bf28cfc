#!/usr/bin/env bash
# The Dockerfile's steps without Docker (CI cannot build images): build in this checkout, copy
# what the image holds into a clean directory, `npm ci --omit=dev` there, start the documented
# production command (`node dist/main.js`), wait for /health/ready, send SIGTERM to that process
# and check it drained (exit 0 and the drain line in its log).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
  rm -rf "$work"
}
trap cleanup EXIT

[ -f dist/main.js ] || npm run build
cp -r package.json package-lock.json dist public "$work/"
# The workspaces are in the lock file: npm ci wants their package.json files (and builds, like the image).
mkdir -p "$work/packages"
for pkg in packages/*/; do mkdir -p "$work/$pkg" && cp "$pkg/package.json" "$work/$pkg"; [ -d "$pkg/dist" ] && cp -r "$pkg/dist" "$work/$pkg"; done
[ -f public/app.js ] || { echo "public/app.js missing: npm run build makes it"; exit 1; }
cd "$work"
npm ci --omit=dev --prefer-offline --no-audit --no-fund --loglevel=error
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")

NODE_ENV=production JWT_SECRET=$(node -e "console.log(require('crypto').randomBytes(32).toString('hex'))") \
  CORS_ORIGINS='*' PORT="$port" HOST=127.0.0.1 DATABASE_URL="sqlite:$work/data/realtime.db" \
  LOG_FORMAT=json DRAIN_DELAY_MS=500 node dist/main.js >"$work/server.log" 2>&1 &
pid=$!

for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then cat "$work/server.log"; echo "production start failed"; exit 1; fi
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/health/ready"; echo
curl -fsS "http://127.0.0.1:$port/health/live" >/dev/null

kill -TERM "$pid"
code=0
wait "$pid" || code=$?
pid=
if [ "$code" -ne 0 ] || ! grep -q 'SIGTERM: draining' "$work/server.log"; then
  cat "$work/server.log"
  echo "SIGTERM did not drain cleanly (exit $code)"
  exit 1
fi
if [ -d "$work/node_modules/typescript" ]; then echo "dev dependencies in the production install"; exit 1; fi
echo "production install: started, ready, drained on SIGTERM (exit 0)"
