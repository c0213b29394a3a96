#!/usr/bin/env bash
# Launcher-free smoke check of the userspace cluster network, by hand (needs root):
# a switch namespace with br0 10.1.0.1/24 and one node namespace whose eth0 is an
# address-less veth on it; the nanoswitch serves DHCP there and SOCKS5 on the host;
# the node jar runs inside its namespace with --dhcp-interface eth0, bootstraps a
# cluster, and metroctl takes ownership and describes it through the SOCKS proxy.
# Everything it creates is removed on exit; logs stay in the printed directory.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
JAVA="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
NODE_JAR="$ROOT/node/target/metropolis-node.jar"
SWITCH_JAR="$ROOT/nanoswitch/target/metropolis-nanoswitch.jar"
METROCTL_JAR="$ROOT/metroctl/target/metroctl.jar"

die() { echo "node-smoke: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
for j in "$NODE_JAR" "$SWITCH_JAR" "$METROCTL_JAR"; do
  [ -f "$j" ] || die "missing $j: mvn -q package -DskipTests -pl nanoswitch,node,metroctl -am"
done

P="mjs-$(printf %04x $RANDOM)"
DIR="$(mktemp -d "/tmp/$P.XXXX")"
SWITCH_PID="" NODE_PID=""
cleanup() {
  [ -n "$NODE_PID" ] && kill -TERM "$NODE_PID" 2>/dev/null && wait "$NODE_PID" 2>/dev/null || true
  [ -n "$SWITCH_PID" ] && kill -TERM "$SWITCH_PID" 2>/dev/null && wait "$SWITCH_PID" 2>/dev/null || true
  ip netns del "$P-n0" 2>/dev/null || true
  ip netns del "$P-sw" 2>/dev/null || true
  echo "node-smoke: logs in $DIR"
}
trap cleanup EXIT

# What the launcher does: switch namespace first, then one namespace per node.
ip netns add "$P-sw"
ip -n "$P-sw" link add br0 type bridge
ip -n "$P-sw" addr add 10.1.0.1/24 dev br0
ip -n "$P-sw" link set br0 up
ip -n "$P-sw" link set lo up
ip netns add "$P-n0"
ip link add v0 netns "$P-sw" type veth peer name eth0 netns "$P-n0"
ip -n "$P-sw" link set v0 master br0 up

# The nanoswitch before any node: a node's first DISCOVER must find a server.
"$JAVA" -jar "$SWITCH_JAR" --switch-netns "/run/netns/$P-sw" --port-file "$DIR/socks.port" \
  >"$DIR/nanoswitch.log" 2>&1 &
SWITCH_PID=$!
for _ in $(seq 100); do [ -s "$DIR/socks.port" ] && break; sleep 0.1; done
[ -s "$DIR/socks.port" ] || die "nanoswitch did not start: $(cat "$DIR/nanoswitch.log")"
PORT="$(cat "$DIR/socks.port")"

"$JAVA" -cp "$NODE_JAR" "$ROOT/nanoswitch/smoke/BootstrapParams.java" "$DIR/state0" "$DIR/metroctl"
ip netns exec "$P-n0" "$JAVA" -Xmx256m -XX:+UseSerialGC -jar "$NODE_JAR" \
  --state-dir "$DIR/state0" --dhcp-interface eth0 >"$DIR/node0.log" 2>&1 &
NODE_PID=$!

for _ in $(seq 600); do grep -q "Curator serving on" "$DIR/node0.log" && break; sleep 0.1; done
grep -q "Curator serving on 10.1.0.2:7835" "$DIR/node0.log" || die "node did not serve: see $DIR/node0.log"
grep "NetworkService" "$DIR/node0.log"

M=("$JAVA" -jar "$METROCTL_JAR" --config "$DIR/metroctl" --proxy "127.0.0.1:$PORT" --endpoints 10.1.0.2)
"${M[@]}" --insecure-accept-and-persist-first-encountered-ca cluster takeownership
"${M[@]}" node describe
sed 's/^/99| /' "$DIR/nanoswitch.log"
echo "node-smoke: PASS"
