echo to-null > /dev/null
echo visible
nosuchcommand 2>/dev/null; echo "unknown gives $?"
(nosuchcommand) 2>/dev/null; echo "in a subshell $?"
echo err 1>&2 2>/dev/null
echo both 2>&1
{ echo in-group; nosuchcommand; } 2>/dev/null
cat < /dev/null; echo "cat of /dev/null: $?"
echo done
