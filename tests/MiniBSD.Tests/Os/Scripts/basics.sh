# quoting, variables, status, && || ;
echo plain words   with   spaces
echo 'single $quoted' "double $nosuchvar-less" \$escaped
x=hello; y="big world"
echo "$x, $y" $x$y "${x}s"
true; echo "true gives $?"
false; echo "false gives $?"
true && echo and-ran || echo or-ran
false && echo and-ran || echo or-ran
false || false || echo third
z= ; echo "empty:[$z]" [$z]
echo "a""b"'c'd
echo "tab	inside" 'new
line'
