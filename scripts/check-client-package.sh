#!/usr/bin/env bash
# The client as an app gets it: `npm pack` the client workspace, install the tarball into a
# scratch project outside the repository, type-check a consumer against its types and run it
# (ESM and CJS) against a live server. Also checks that the root package ships no client sources.
# Needs `npm run build` first (the server's dist/ and the client's dist/).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
scratch="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT

echo "client package: what the root package would ship (${SECONDS}s)"
node -e '
  const [pack] = JSON.parse(require("child_process").execSync("npm pack --dry-run --json --ignore-scripts --workspaces=false", { encoding: "utf8" }));
  const wrong = pack.files.map((f) => f.path).filter((p) => /^(packages|client|test|bench|src)\//.test(p) || p.endsWith(".ts"));
  if (wrong.length) { console.error("the root package would ship:", wrong.slice(0, 10)); process.exit(1); }'

echo "client package: npm pack (${SECONDS}s)"
tarball="$(npm pack --workspace packages/client --pack-destination "$scratch" --silent | tail -n1)"
tar -tzf "$scratch/$tarball" | node -e '
  const files = require("fs").readFileSync(0, "utf8").trim().split("\n");
  for (const need of ["package/dist/index.mjs", "package/dist/index.cjs", "package/dist/index.d.ts", "package/dist/react.mjs", "package/dist/contracts/events.d.ts"])
    if (!files.includes(need)) { console.error(`missing ${need} in the tarball`); process.exit(1); }
  const sources = files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
  if (sources.length) { console.error("TypeScript sources in the tarball:", sources); process.exit(1); }'

echo "client package: install $tarball into a scratch project (${SECONDS}s)"
cp scripts/client-consumer/consumer.mts scripts/client-consumer/consumer-cjs.cts scripts/client-consumer/tsconfig.json "$scratch/"
typescript="$(node -p 'require("typescript/package.json").version')"
types_node="$(node -p 'require("@types/node/package.json").version')"
(cd "$scratch" && npm init -y >/dev/null && npm install --no-audit --no-fund --prefer-offline --silent \
  "./$tarball" "typescript@$typescript" "@types/node@$types_node")

echo "client package: type-check the consumer against the package's types (${SECONDS}s)"
(cd "$scratch" && node node_modules/typescript/bin/tsc -p tsconfig.json)

echo "client package: run it against a live server (${SECONDS}s)"
port="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
PORT="$port" DATABASE_URL="sqlite:$scratch/server.db" JWT_SECRET="client-package-check-secret-0123456789abcdef" LOG_LEVEL=warn \
  node dist/main.js &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { echo "the server did not start"; exit 1; }
  sleep 0.1
done
(cd "$scratch" && node out/consumer.mjs "http://127.0.0.1:$port" && node out/consumer-cjs.cjs)
