#!/usr/bin/env bash
# ynl-spec.sh: docs/nlecho.yaml, the protocol's YNL netlink-raw spec,
# against the kernel source of $KREL in its build root: the kernel's own
# schema (Documentation/netlink/netlink-raw.yaml), the kernel's YNL parser
# (tools/net/ynl/pyynl/lib), the numbers in module/wire.rs, and the uapi
# header that the kernel's generator (ynl_gen_c.py) makes from the spec;
# and the copy of those numbers in tests/clients/nlecho_proto.h.
# One PASS:/FAIL: line per check; exits non-zero if any failed.
set -euo pipefail
. "$(dirname "$0")/../../scripts/common.sh"
cd "$TOP"

host_packages python3 python3-yaml python3-jsonschema
# bookworm's interpreter, which has the packages above, whatever python3
# comes first on PATH; -B: nothing is written into the build root.
py=(/usr/bin/python3 -B)
ksrc=$BUILDROOT$KSRC
schema=$ksrc/Documentation/netlink/netlink-raw.yaml
pyynl=$ksrc/tools/net/ynl/pyynl
spec=docs/nlecho.yaml
wire=module/wire.rs
[ -f "$schema" ] || die "no $schema: the build root of $KREL has no kernel source; run scripts/setup-buildroot"
[ -f "$pyynl/lib/nlspec.py" ] && [ -f "$pyynl/ynl_gen_c.py" ] \
  || die "no YNL tools in $pyynl: $KREL's kernel source predates tools/net/ynl/pyynl"

# check, and $logs as the scratch directory.
. tests/harness.sh
tmp=$logs

# The kernel's schema, with python3-jsonschema as the kernel's tools use it.
schema_valid() {
  "${py[@]}" - "$spec" "$schema" <<'PY'
import sys, yaml, jsonschema
spec, schema = (yaml.safe_load(open(p, encoding="utf-8")) for p in sys.argv[1:3])
# The schema declares draft-07 (its $schema URI lacks the "#" that
# jsonschema knows it by).
errors = list(jsonschema.Draft7Validator(schema).iter_errors(spec))
for e in errors:
    print("at", "/".join(str(p) for p in e.absolute_path) or "top level", ":", e.message)
sys.exit(1 if errors else 0)
PY
}
check "docs/nlecho.yaml validates against $KREL's Documentation/netlink/netlink-raw.yaml" schema_valid

# The kernel's own parser: every name an operation uses is defined.
parses() {
  "${py[@]}" - "$pyynl" "$spec" "$schema" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from lib import SpecFamily
family = SpecFamily(sys.argv[2], sys.argv[3])
bad = []
if family.proto != "netlink-raw" or family.yaml.get("protonum") != 30:
    bad.append(f"protocol {family.proto}, protonum {family.yaml.get('protonum')}: want netlink-raw, 30")
for op in family.msgs.values():
    parts = [(f"{mode} {part}", op.yaml[mode].get(part, {})) for mode in ("do", "dump")
             if mode in op.yaml for part in ("request", "reply")]
    parts.append(("event", op.yaml.get("event", {})))
    for where, part in parts:
        for name in part.get("attributes", []):
            if name not in op.attr_set.attrs:
                bad.append(f"{op.name} {where}: no attribute '{name}' in set '{op.attr_set.name}'")
values = [g.value for g in family.mcast_groups.values()]
if sorted(values) != list(range(1, 33)):
    bad.append(f"multicast groups {values}: want 1-32, once each")
print("\n".join(bad) or f"{len(family.msgs)} operations, {len(values)} multicast groups")
sys.exit(1 if bad else 0)
PY
}
check "the kernel's YNL parser loads it: protonum 30, every attribute an operation names exists" parses

# module/wire.rs's NLECHO_CMD_* and NLECHO_A_* (but NLECHO_A_MAX), one
# "NAME VALUE" line each; a value may name another constant of the file
# (NLECHO_CMD_ECHO is NLMSG_MIN_TYPE).
"${py[@]}" - "$wire" >"$tmp/wire" <<'PY' || die "cannot read the constants of $wire"
import re, sys
consts = dict(re.findall(r"pub const (\w+): u\d+ = (\w+);", open(sys.argv[1], encoding="utf-8").read()))
def value(name, depth=0):
    v = consts[name]
    return int(v, 0) if re.fullmatch(r"0x[0-9a-fA-F]+|\d+", v) else value(v, depth + 1)
for name in consts:
    if re.fullmatch(r"NLECHO_(CMD|A)_\w+", name) and name != "NLECHO_A_MAX":
        print(name, value(name))
PY

# The spec's numbers are module/wire.rs's, both ways.
matches_wire() {
  "${py[@]}" - "$pyynl" "$spec" "$tmp/wire" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from lib import SpecFamily
family = SpecFamily(sys.argv[2], "")
def cname(prefix, name):
    return (prefix + name).upper().replace("-", "_")
spec = {}
for aset in family.attr_sets.values():
    for attr in aset.attrs.values():
        spec[cname(aset.yaml.get("name-prefix", ""), attr.name)] = attr.value
for op in family.msgs.values():
    spec[cname(family.yaml["operations"].get("name-prefix", ""), op.name)] = op.value
wire = {name: int(value) for name, value in (line.split() for line in open(sys.argv[3]))}
bad = [f"{n}: spec {spec.get(n)}, wire.rs {wire.get(n)}" for n in sorted(spec.keys() | wire.keys())
       if spec.get(n) != wire.get(n)]
print("\n".join(bad) or f"{len(wire)} constants agree")
sys.exit(1 if bad or not wire else 0)
PY
}
check "its message types and attribute types are module/wire.rs's NLECHO_CMD_* and NLECHO_A_*" matches_wire

# The kernel's C generator, in a tree laid out as the kernel's: it looks
# for the kernel's root (a MAINTAINERS file) above the spec, and loops
# forever without one; it validates the spec against the schema beside
# specs/. The uapi header it writes must compile with wire.rs's values.
generates() {
  local gen=$tmp/gen
  mkdir -p "$gen/specs" && touch "$gen/MAINTAINERS" \
    && cp "$schema" "$gen/netlink-raw.yaml" && cp "$spec" "$gen/specs/nlecho.yaml" || return 1
  timeout 120 "${py[@]}" "$pyynl/ynl_gen_c.py" --mode uapi --header \
    --spec "$gen/specs/nlecho.yaml" -o "$gen/nlecho.h" || { echo "ynl_gen_c.py failed"; return 1; }
  { echo '#include "nlecho.h"'
    awk '{printf "_Static_assert(%s == %s, \"%s\");\n", $1, $2, $1}' "$tmp/wire"
  } >"$gen/check.c"
  grep -q _Static_assert "$gen/check.c" || { echo "no NLECHO_* constants found in $wire"; return 1; }
  gcc -fsyntax-only -Wall -Werror -I "$gen" "$gen/check.c"
}
check "ynl_gen_c.py makes its uapi header, whose NLECHO_* values compile as module/wire.rs's" generates

# The clients of tests/clients/ carry their own copy of the numbers.
clients_match() {
  { echo '#include "nlecho_proto.h"'
    awk '{printf "#ifdef %s\n_Static_assert(%s == %s, \"%s\");\n#endif\n", $1, $1, $2, $1}' "$tmp/wire"
  } >"$tmp/clients.c"
  gcc -fsyntax-only -Wall -Werror -I tests/clients "$tmp/clients.c"
}
check "tests/clients/nlecho_proto.h has module/wire.rs's values" clients_match

[ "$failed" -eq 0 ]
