# Sourced by the test scripts. free_ports N prints N distinct loopback ports that are free now, in
# 20000..29999: below the kernel's ephemeral range (32768 and up by default), because a port from that
# range, once released, can become the local port of any outgoing connection (the gateway's own
# ZooKeeper client among them) before the gateway binds it.
free_ports() {
  python3 - "$1" <<'PY'
import random, socket, sys
ports = []
for _ in range(1000):
    if len(ports) == int(sys.argv[1]):
        break
    port = random.randint(20000, 29999)
    if port in ports:
        continue
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
    ports.append(port)
else:
    sys.exit("no %s free ports in 20000..29999" % sys.argv[1])
print(" ".join(map(str, ports)))
PY
}
