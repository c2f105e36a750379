echo before
if true; then
  sh -c 'echo inner; exit 5'
  echo "inner gave $?"
fi
exit 3
echo never
