#!/bin/bash
# Writes zoo.cfg and myid from the environment, then runs the server in the foreground.
set -euo pipefail
: "${ZK_ID:?ZK_ID (1..255) is required}"
: "${ZK_SERVERS:?ZK_SERVERS (1=host:2888:3888,2=...) is required}"
data=/var/lib/zookeeper/data
mkdir -p "$data"
echo "$ZK_ID" >"$data/myid"
{
  echo "tickTime=2000"
  echo "initLimit=10"
  echo "syncLimit=5"
  echo "dataDir=$data"
  echo "clientPortAddress=${ZK_CLIENT_ADDRESS:-0.0.0.0}"
  echo "clientPort=${ZK_CLIENT_PORT:-2181}"
  echo "4lw.commands.whitelist=ruok,srvr,mntr"
  echo "admin.enableServer=false"
  # answer on this server's own address only (its entry in ZK_SERVERS) for the quorum ports
  echo "quorumListenOnAllIPs=${ZK_QUORUM_LISTEN_ON_ALL_IPS:-true}"
  echo "autopurge.snapRetainCount=3"
  echo "autopurge.purgeInterval=1"
  IFS=, read -ra servers <<<"$ZK_SERVERS"
  for s in "${servers[@]}"; do echo "server.${s%%=*}=${s#*=}"; done
} >/etc/zookeeper/conf/zoo.cfg
cat >/etc/zookeeper/conf/log4j.properties <<'LOG'
log4j.rootLogger=INFO, CONSOLE
log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender
log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout
log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} [myid:%X{myid}] %-5p [%t] %c{1}: %m%n
LOG
exec java -Xmx256m -Dzookeeper.log.dir=/var/lib/zookeeper -cp /etc/zookeeper/conf:/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar \
  org.apache.zookeeper.server.quorum.QuorumPeerMain /etc/zookeeper/conf/zoo.cfg
