#!/bin/sh
# make install PREFIX=DIR -- installs wxpay_close.h, the adapters and a
# pkg-config file (and the wxpay-close tool when `make` has built it):
#
#   DIR/include/wxpay_close/wxpay_close.h
#   DIR/include/wxpay_close/adapters/wxpay_*.h
#   DIR/lib/pkgconfig/wxpay_close.pc     Cflags: -IDIR/include/wxpay_close
#   DIR/bin/wxpay-close                  if build/wxpay-close exists
#   DIR/share/doc/wxpay_close/           README.md, LICENSE, CHANGELOG.md,
#                                        examples/README.md (the tool's page,
#                                        which README.md links to)
#
# Sources keep their in-tree spelling: #include "wxpay_close.h" and
# #include "adapters/wxpay_curl.h". DESTDIR is honoured (staged installs).
set -eu
prefix=${1:-/usr/local}
case $prefix in
  /*) ;;
  *) prefix=$(pwd)/$prefix ;;   # pkg-config wants an absolute prefix
esac
cd "$(dirname "$0")/.."
dest=${DESTDIR:-}$prefix
version=$(sed -n 's/^#define WXPAY_VERSION "\(.*\)"$/\1/p' wxpay_close.h)
[ -n "$version" ] || { echo "install: no WXPAY_VERSION in wxpay_close.h" >&2; exit 1; }

inc=$dest/include/wxpay_close
doc=$dest/share/doc/wxpay_close
install -d "$inc/adapters" "$dest/lib/pkgconfig" "$doc/examples"
install -m 644 wxpay_close.h "$inc/wxpay_close.h"
for h in adapters/*.h; do
  [ -f "$h" ] && install -m 644 "$h" "$inc/adapters/"
done
sed -e "s|@PREFIX@|$prefix|g" -e "s|@VERSION@|$version|g" \
  examples/wxpay_close.pc.in > "$dest/lib/pkgconfig/wxpay_close.pc"
chmod 644 "$dest/lib/pkgconfig/wxpay_close.pc"
# the same layout as the tree, so README.md's relative links resolve
for f in README.md LICENSE CHANGELOG.md examples/README.md; do
  install -m 644 "$f" "$doc/$f"
done
echo "installed wxpay_close.h $version and its adapters under $inc"
echo "pkg-config: PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags wxpay_close"
if [ -x build/wxpay-close ]; then
  install -d "$dest/bin"
  install -m 755 build/wxpay-close "$dest/bin/wxpay-close"
  echo "installed $dest/bin/wxpay-close"
else
  echo "(wxpay-close not built: run make first to install the tool too)"
fi
