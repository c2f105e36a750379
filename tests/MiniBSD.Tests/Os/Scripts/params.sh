unset v
echo "${v:-default}" "${v-dash}" "${#v}"
v=value
echo "${v:-default}" "${v:+alt}" "${#v}"
e=
echo "[${e:-colon}]" "[${e-nocolon}]"
echo "${w:=assigned}" "$w"
sh -c 'echo "$0 has $# args: $1 $2"; shift; echo "after shift: $1"' prog first second
sh -c 'for a; do echo "arg $a"; done' prog x "y z"
sh -c 'for a in "$@"; do echo "quoted [$a]"; done' prog "p q" r
sh -c 'exit 9'; echo "sh -c gave $?"
IFS=:; set_list="a:b:c"; for p in $set_list; do echo "$p"; done
