package io.rbdgw.admin.security;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, so the request line goes out exactly as written (java.net.http and URI would
 * normalize or refuse some of the spellings under test), optionally from a chosen loopback source address.
 */
final class RawHttp {
    record Answer(int status, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final URI base;
    private final String sourceAddress;

    RawHttp(URI base) {
        this(base, null);
    }

    RawHttp(URI base, String sourceAddress) {
        this.base = base;
        this.sourceAddress = sourceAddress;
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    Answer send(String method, String rawPath, String body, Map<String, String> headers) throws IOException {
        return send(method, rawPath, body, headers, false);
    }

    /** The body without a declared length: Transfer-Encoding chunked, in 64 KiB chunks. */
    Answer sendChunked(String method, String rawPath, String body, Map<String, String> headers) throws IOException {
        return send(method, rawPath, body, headers, true);
    }

    private Answer send(String method, String rawPath, String body, Map<String, String> headers, boolean chunked)
            throws IOException {
        try (Socket s = new Socket()) {
            if (sourceAddress != null) {
                s.bind(new InetSocketAddress(sourceAddress, 0));
            }
            s.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5000);
            s.setSoTimeout(30_000);
            byte[] payload = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            StringBuilder req = new StringBuilder();
            req.append(method).append(' ').append(rawPath).append(" HTTP/1.1\r\n");
            req.append("Host: ")
                    .append(base.getHost())
                    .append(':')
                    .append(base.getPort())
                    .append("\r\n");
            req.append("Connection: close\r\n");
            if (body != null) {
                req.append("Content-Type: application/json\r\n");
            }
            if (chunked) {
                req.append("Transfer-Encoding: chunked\r\n");
            } else if (body != null || method.equals("POST") || method.equals("PUT") || method.equals("PATCH")) {
                req.append("Content-Length: ").append(payload.length).append("\r\n");
            }
            headers.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
            req.append("\r\n");
            OutputStream out = s.getOutputStream();
            try {
                out.write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
                if (chunked) {
                    for (int at = 0; at < payload.length; at += 65536) {
                        int n = Math.min(65536, payload.length - at);
                        out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                        out.write(payload, at, n);
                        out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    }
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                } else {
                    out.write(payload);
                }
                out.flush();
            } catch (IOException e) {
                // the server may answer (413) and close before the whole body is sent: read what it said
                try {
                    return read(s.getInputStream(), method.equals("HEAD"));
                } catch (IOException unread) {
                    e.addSuppressed(unread);
                    throw e;
                }
            }
            return read(s.getInputStream(), method.equals("HEAD"));
        }
    }

    private static Answer read(InputStream in, boolean head) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        in.transferTo(all);
        String text = all.toString(StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            throw new IOException("no complete HTTP answer: " + text.substring(0, Math.min(200, text.length())));
        }
        String[] lines = text.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int c = lines[i].indexOf(':');
            if (c > 0) {
                headers.put(
                        lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(c + 1).trim());
            }
        }
        String body = head ? "" : new String(all.toByteArray(), end + 4, all.size() - end - 4, StandardCharsets.UTF_8);
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            body = dechunk(body);
        }
        return new Answer(status, headers, body);
    }

    private static String dechunk(String chunked) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < chunked.length()) {
            int nl = chunked.indexOf("\r\n", i);
            if (nl < 0) {
                break;
            }
            int size = Integer.parseInt(chunked.substring(i, nl).split(";")[0].trim(), 16);
            if (size == 0) {
                break;
            }
            out.append(chunked, nl + 2, Math.min(chunked.length(), nl + 2 + size));
            i = nl + 2 + size + 2;
        }
        return out.toString();
    }
}
