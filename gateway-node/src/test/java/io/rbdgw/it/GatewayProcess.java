package io.rbdgw.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A gateway started as a real process from the packaged jar, as a user would start it. Its output is
 * collected; Netty's leak detector runs at PARANOID so that leaks show up in {@link #output()}.
 * {@code -Drbdgw.it.gateway-logs=DIR} also keeps each gateway's output in DIR/gateway-PORT-PID.log.
 */
public final class GatewayProcess implements AutoCloseable {

    static final String IQN = "iqn.2026-11.io.rbdgw:standalone";

    private final Process process;
    private final StringBuffer output = new StringBuffer();
    private final CountDownLatch up = new CountDownLatch(1);
    private final int port;
    private final String iqn;
    private final Thread reader;

    private GatewayProcess(Process process, int port, String iqn) {
        this.process = process;
        this.port = port;
        this.iqn = iqn;
        reader = new Thread(
                () -> {
                    String keep = System.getProperty("rbdgw.it.gateway-logs");
                    try (BufferedReader r = new BufferedReader(
                                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                            Writer copy = keep == null
                                    ? Writer.nullWriter()
                                    : Files.newBufferedWriter(Files.createDirectories(Path.of(keep))
                                            .resolve("gateway-" + port + "-" + process.pid() + ".log"))) {
                        String line;
                        while ((line = r.readLine()) != null) {
                            output.append(line).append('\n');
                            copy.append(line).append('\n').flush();
                            if (line.contains("LUN URL:")
                                    || (line.startsWith("rbdgw gateway ") && line.endsWith(" is up"))) {
                                up.countDown();
                            }
                        }
                    } catch (IOException ignored) {
                        // process gone
                    }
                },
                "gateway-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@code standalone} with the given extra arguments on a free loopback port. */
    public static GatewayProcess standalone(Path dataDir, String... extra) throws Exception {
        return standalone(freePort(), dataDir, extra);
    }

    /** Starts {@code standalone} on loopback port {@code port} (a restart on the same port). */
    public static GatewayProcess standalone(int port, Path dataDir, String... extra) throws Exception {
        GatewayProcess g = standaloneStarting(port, dataDir, extra);
        g.awaitUp("gateway");
        return g;
    }

    /** Starts {@code standalone} on loopback port {@code port} and returns at once, before it is up. */
    public static GatewayProcess standaloneStarting(int port, Path dataDir, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                javaBin(),
                "-Xmx1g",
                "-Dio.netty.leakDetection.level=paranoid",
                "-jar",
                jar(),
                "standalone",
                "--data-dir",
                dataDir.toString(),
                "--listen",
                "127.0.0.1:" + port,
                "--admin-listen",
                "127.0.0.1:0"));
        addMetricsListen(cmd, extra);
        cmd.addAll(List.of(extra));
        String iqn = IQN;
        for (int i = 0; i < extra.length - 1; i++) {
            if (extra[i].equals("--target-iqn")) {
                iqn = extra[i + 1];
            }
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        return new GatewayProcess(p, port, iqn);
    }

    /** Starts {@code standalone --rbd POOL/IMAGE} as the test cluster's gateway user (see {@link TestCluster}). */
    public static GatewayProcess rbd(Path dataDir, String image, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "--rbd",
                TestCluster.POOL + "/" + image,
                "--ceph-conf",
                TestCluster.conf().toString(),
                "--ceph-id",
                TestCluster.CLIENT_ID));
        args.addAll(List.of(extra));
        return standalone(dataDir, args.toArray(String[]::new));
    }

    /**
     * Starts {@code run} (a cluster gateway) named {@code name} on loopback port {@code port}, with file
     * disks under {@code dataDir}; returns once it is up: its portal is bound but resets connections until
     * its first configuration is applied.
     */
    public static GatewayProcess run(String name, int port, Path dataDir, String zookeeper, String... extra)
            throws Exception {
        return run(List.of(), name, port, dataDir, zookeeper, extra);
    }

    /** {@link #run(String, int, Path, String, String...)} with extra JVM options (system properties). */
    public static GatewayProcess run(
            List<String> jvmOptions, String name, int port, Path dataDir, String zookeeper, String... extra)
            throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                javaBin(),
                "-Xmx512m",
                "-Dio.netty.leakDetection.level=paranoid",
                "-Dzookeeper.admin.enableServer=false"));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of(
                "-jar",
                jar(),
                "run",
                "--name",
                name,
                "--zookeeper",
                zookeeper,
                "--data-dir",
                dataDir.toString(),
                "--listen",
                "127.0.0.1:" + port));
        addMetricsListen(cmd, extra);
        cmd.addAll(List.of(extra));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        GatewayProcess g = new GatewayProcess(p, port, null);
        g.awaitUp("gateway " + name);
        return g;
    }

    /** {@link #run(String, int, Path, String, String...)} on {@code zk}, with its credential ({@code --zk-auth-file}). */
    public static GatewayProcess run(String name, int port, Path dataDir, ZkConfig zk, String... extra)
            throws Exception {
        return run(List.of(), name, port, dataDir, zk, extra);
    }

    /** {@link #run(List, String, int, Path, String, String...)} on {@code zk}, with its credential. */
    public static GatewayProcess run(
            List<String> jvmOptions, String name, int port, Path dataDir, ZkConfig zk, String... extra)
            throws Exception {
        return run(jvmOptions, name, port, dataDir, zk.connectString(), withAuth(zk, extra));
    }

    /** {@link #runOnFreePort(String, Path, String, String...)} on {@code zk}, with its credential. */
    public static GatewayProcess runOnFreePort(String name, Path dataDir, ZkConfig zk, String... extra)
            throws Exception {
        return runOnFreePort(name, dataDir, zk.connectString(), withAuth(zk, extra));
    }

    private static String[] withAuth(ZkConfig zk, String... extra) {
        List<String> args =
                new ArrayList<>(List.of("--zk-auth-file", zk.authFile().toString()));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    /**
     * {@link #run(String, int, Path, String, String...)} on a free loopback port below the ephemeral range
     * ({@link #freePort}), so that the gateway can be restarted on the same port ({@link #port}). A
     * port taken between the check and the gateway's own bind (by another test on the machine) costs a new try.
     */
    public static GatewayProcess runOnFreePort(String name, Path dataDir, String zookeeper, String... extra)
            throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return run(name, freePort(), dataDir, zookeeper, extra);
            } catch (PortTaken e) {
                if (attempt == 5) {
                    throw e;
                }
            }
        }
    }

    /** The gateway could not bind its portal: the port was taken. */
    public static final class PortTaken extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        PortTaken(String message) {
            super(message);
        }
    }

    /** Waits up to 60 s for the banner; gives up at once if the process exits first. */
    private void awaitUp(String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!up.await(100, TimeUnit.MILLISECONDS)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                close();
                reader.join(5000); // its last words
                String message = what + " did not come up on port " + port + ":\n" + output();
                throw output().contains("Address already in use")
                        ? new PortTaken(message)
                        : new IllegalStateException(message);
            }
        }
    }

    /** Metrics on a free loopback port (learned from the banner: {@link #metricsUrl}) unless the caller chose. */
    private static void addMetricsListen(List<String> cmd, String... extra) {
        if (!List.of(extra).contains("--metrics-listen")) {
            cmd.addAll(List.of("--metrics-listen", "127.0.0.1:0"));
        }
    }

    /** The URL of the gateway's /metrics as its banner printed it; waits up to 10 s for that line. */
    public java.net.URI metricsUrl() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            for (String line : output().split("\n")) {
                String t = line.strip();
                if (t.startsWith("metrics:")) {
                    return java.net.URI.create(t.substring("metrics:".length()).strip());
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the gateway printed no metrics URL:\n" + output());
            }
            Thread.sleep(50);
        }
    }

    /** GET /metrics: the Prometheus text. */
    public String scrapeMetrics() throws Exception {
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient()
                .send(
                        java.net.http.HttpRequest.newBuilder(metricsUrl()).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET " + metricsUrl() + ": HTTP " + r.statusCode() + "\n" + r.body());
        }
        return r.body();
    }

    /**
     * The value of the first sample of {@code name} whose labels contain every one of {@code labels}
     * (each {@code key="value"}), or NaN if there is none.
     */
    public static double sample(String metrics, String name, String... labels) {
        for (String line : metrics.split("\n")) {
            if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) {
                continue;
            }
            int end = line.lastIndexOf(' ');
            String head = line.substring(0, end);
            boolean all = true;
            for (String l : labels) {
                all &= head.contains(l);
            }
            if (all) {
                return Double.parseDouble(line.substring(end + 1));
            }
        }
        return Double.NaN;
    }

    static String jar() {
        String jar = System.getProperty("gateway.jar");
        if (jar == null) {
            throw new IllegalStateException("system property gateway.jar is not set (run with mvn verify)");
        }
        return jar;
    }

    static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Ports this JVM has handed out: two calls never return the same port, even if neither is bound yet. */
    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A loopback port that is free now, in 20000..29999: below the kernel's ephemeral range (32768 and up by
     * default), because a port from that range, once released, can become the local port of any outgoing
     * connection on the machine (the gateway's own ZooKeeper or Ceph client among them) before the server
     * binds it. A server restarted on it finds it free for the same reason. Another process may still bind it
     * before the caller does: see {@link #runOnFreePort}.
     */
    public static int freePort() throws IOException {
        java.util.Random random = new java.util.Random();
        for (int i = 0; i < 1000; i++) {
            int port = 20000 + random.nextInt(10000);
            if (!HANDED_OUT.add(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IllegalStateException("no free port in 20000..29999");
    }

    public int port() {
        return port;
    }

    public String portal() {
        return "127.0.0.1:" + port;
    }

    public String iqn() {
        return iqn;
    }

    public String lunUrl(int lun) {
        return "iscsi://" + portal() + "/" + iqn + "/" + lun;
    }

    public String output() {
        return output.toString();
    }

    public Process process() {
        return process;
    }

    /** Sends SIGTERM and waits; returns the exit code. */
    public int stop() throws InterruptedException {
        return stop(Duration.ofSeconds(20));
    }

    /** Sends SIGTERM and waits at most {@code within} (then SIGKILL and an exception); returns the exit code. */
    public int stop(Duration within) throws InterruptedException {
        // ProcessHandle.destroy() only signals; Process.destroy() would also close our end of the
        // output pipe and lose the last lines the gateway prints while stopping.
        process.toHandle().destroy();
        if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            throw new IllegalStateException(
                    "gateway did not stop within " + within.toSeconds() + " s of SIGTERM:\n" + output());
        }
        reader.join(5000); // the last lines it printed
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
