#!/usr/bin/env bash
# modinfo.sh DIR: the modules in DIR describe themselves completely: a
# description, author and license, and a description for every parameter
# (modinfo prints "name:description (type)", or just "name: (type)").
set -euo pipefail
for ko in "$1"/nlecho.ko "$1"/nlecho_trigger.ko; do
  for field in description author license; do
    [ -n "$(modinfo -F "$field" "$ko")" ] || { echo "$ko has no $field"; exit 1; }
  done
  parms=$(modinfo -F parm "$ko")
  [ -n "$parms" ] || { echo "$ko has no parameters"; exit 1; }
  if echo "$parms" | grep -v '^[a-z_]*:[^ (].* ([a-z0-9_]*)$'; then
    echo "^ parameters of $ko without a description"; exit 1
  fi
done
