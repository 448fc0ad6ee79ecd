#!/bin/sh
# The dependency rules of DESIGN.md section 2 for what a link error cannot catch (headers):
# every module may use core; api may use proto; app may use everything; nothing else crosses.
# Only src/uring may include liburing.
src="${1:-$(dirname "$0")/../../src}"
status=0
check() {  # module, forbidden include prefix
    hits=$(grep -rn "#include \"$2/" "$src/$1" 2>/dev/null)
    if [ -n "$hits" ]; then
        echo "forbidden: $1 -> $2"; echo "$hits"; status=1
    fi
}
for m in core uring proto media api; do check $m app; done
for m in uring proto media api; do
    for other in uring proto media api; do
        [ "$m" = "$other" ] && continue
        [ "$m" = api ] && [ "$other" = proto ] && continue
        check "$m" "$other"
    done
done
check core uring; check core proto; check core media; check core api
hits=$(grep -rln "#include <liburing" "$src" | grep -v "^$src/uring/")
if [ -n "$hits" ]; then echo "liburing included outside src/uring:"; echo "$hits"; status=1; fi
[ $status -eq 0 ] && echo "module include rules hold"
exit $status
