package io.rbdgw.it;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs an external client (libiscsi tools, qemu-img) with a timeout and captures its output. */
public record Cmd(int exitCode, String output) {

    public static Cmd run(long timeoutSeconds, String... command) throws IOException, InterruptedException {
        return run(timeoutSeconds, Map.of(), List.of(command));
    }

    static Cmd run(long timeoutSeconds, Map<String, String> env, List<String> command)
            throws IOException, InterruptedException {
        File out = File.createTempFile("cmd", ".out");
        try {
            ProcessBuilder pb = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(out)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                return new Cmd(
                        -1,
                        "TIMEOUT after " + timeoutSeconds + " s: " + String.join(" ", command) + "\n"
                                + new String(Files.readAllBytes(out.toPath()), StandardCharsets.UTF_8));
            }
            return new Cmd(p.exitValue(), new String(Files.readAllBytes(out.toPath()), StandardCharsets.UTF_8));
        } finally {
            out.delete();
        }
    }

    @Override
    public String toString() {
        return "exit " + exitCode + ":\n" + output;
    }
}
