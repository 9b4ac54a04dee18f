#!/usr/bin/env bash
# install.sh STAGE: `make install DESTDIR=STAGE` for $KREL puts everything
# where a packaged tool has it: the modules where depmod finds them, the
# CLI, a man page per command, and bash, zsh and fish completions.
set -euo pipefail
stage=$1
cd "$(dirname "$0")/../.."
rm -rf "$stage"
make -s install DESTDIR="$stage" PREFIX=/usr/local KREL="$KREL" >/dev/null
for m in nlecho nlecho_trigger; do
  grep -q "^updates/$m.ko:" "$stage/lib/modules/$KREL/modules.dep" || { echo "depmod does not know $m.ko"; exit 1; }
done
grep -Eq '^alias net[-_]pf[-_]16[-_]proto[-_]30 nlecho$' "$stage/lib/modules/$KREL/modules.alias" \
  || { echo "modules.alias lacks net-pf-16-proto-30"; exit 1; }
share=$stage/usr/local/share
"$stage/usr/local/bin/nlecho" --version
for page in nlecho nlecho-hello nlecho-send nlecho-listen nlecho-broadcast nlecho-stats nlecho-groups nlecho-peer-listen; do
  grep -q '^\.TH' "$share/man/man1/$page.1" || { echo "no man page $page.1"; exit 1; }
done
bash -n "$share/bash-completion/completions/nlecho"
grep -q '^#compdef nlecho' "$share/zsh/site-functions/_nlecho" || { echo "no zsh completion"; exit 1; }
grep -q '^complete -c nlecho' "$share/fish/vendor_completions.d/nlecho.fish" || { echo "no fish completion"; exit 1; }
