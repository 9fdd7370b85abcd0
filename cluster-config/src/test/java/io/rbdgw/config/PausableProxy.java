package io.rbdgw.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback TCP forwarder to one server that a test can cut: while paused, existing connections are closed and
 * new ones are dropped at once. It makes one ZooKeeper client reconnect later than the others, as a client with a
 * longer back-off, a slower network path or a busier machine does. It can also add latency ({@link #delay}).
 */
public final class PausableProxy implements AutoCloseable {

    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private volatile boolean paused;
    private volatile long delayMillis;

    public PausableProxy(InetSocketAddress target) throws IOException {
        this.target = target;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "proxy-accept " + listener.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** {@code 127.0.0.1:port} of the proxy. */
    public String connectString() {
        return "127.0.0.1:" + listener.getLocalPort();
    }

    public void pause() {
        paused = true;
        open.forEach(PausableProxy::closeQuietly);
        open.clear();
    }

    public void resume() {
        paused = false;
    }

    /**
     * Holds each chunk read {@code millis} before forwarding it, in both directions: a network with that much
     * latency per hop, so that every request that waits for its answer before the next one costs twice that.
     */
    public void delay(long millis) {
        delayMillis = millis;
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket in = listener.accept();
                if (paused) {
                    closeQuietly(in);
                    continue;
                }
                Socket out = new Socket();
                try {
                    out.connect(target, 2000);
                } catch (IOException refused) {
                    closeQuietly(in);
                    closeQuietly(out);
                    continue;
                }
                open.add(in);
                open.add(out);
                pipe(in, out);
                pipe(out, in);
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void pipe(Socket from, Socket to) {
        Thread t = new Thread(
                () -> {
                    byte[] buffer = new byte[16384];
                    try (InputStream is = from.getInputStream();
                            OutputStream os = to.getOutputStream()) {
                        int n;
                        while ((n = is.read(buffer)) > 0) {
                            long d = delayMillis;
                            if (d > 0) {
                                Thread.sleep(d);
                            }
                            os.write(buffer, 0, n);
                        }
                    } catch (IOException ended) {
                        // either side closed
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        closeQuietly(from);
                        closeQuietly(to);
                    }
                },
                "proxy-pipe");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        pause();
    }
}
