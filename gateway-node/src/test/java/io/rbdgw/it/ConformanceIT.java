package io.rbdgw.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * libiscsi's conformance suite (iscsi-test-cu, SCSI and iSCSI families, destructive tests on a
 * scratch file LUN) against the standalone gateway. The expected verdict of every test is committed
 * in src/test/resources/conformance/expected.tsv; this test fails when a test that passed there no
 * longer passes, or when any test not expected to fail fails. Regenerate the file after an
 * improvement with {@code -Dconformance.update=true}.
 */
class ConformanceIT {

    @TempDir
    Path dir;

    @Test
    void libiscsiConformanceSuiteHasNoRegressions() throws Exception {
        Path root = Path.of(System.getProperty("project.root", "..")).toAbsolutePath().normalize();
        Path script = root.resolve("scripts/iscsi-conformance.sh");
        Path out = root.resolve("gateway-node/target/conformance");
        Path expectedFile = root.resolve("gateway-node/src/test/resources/conformance/expected.tsv");

        Map<String, String> results;
        try (GatewayProcess gw = GatewayProcess.standalone(dir.resolve("data"), "--lun-size", "1G")) {
            Cmd run = Cmd.run(1800, Map.of("SUITE_TIMEOUT", "120", "TEST_TIMEOUT", "40"),
                    List.of("bash", script.toString(), gw.lunUrl(0), out.toString()));
            System.out.println(run.output());
            assertThat(run.exitCode()).as(run.toString()).isZero();
            results = read(out.resolve("tests.tsv"));
            assertThat(gw.process().isAlive()).as("the gateway survived the suite:\n" + gw.output()).isTrue();
            Files.writeString(out.resolve("gateway.log"), gw.output());
        }
        assertThat(results).as("conformance results").hasSizeGreaterThan(100);
        long pass = results.values().stream().filter("PASS"::equals).count();
        long fail = results.values().stream().filter(s -> !s.equals("PASS") && !s.equals("SKIP")).count();
        System.out.printf("conformance: %d tests, %d pass, %d not passing (fail/timeout/crash), %d skip%n",
                results.size(), pass, fail, results.size() - pass - fail);

        if (Boolean.getBoolean("conformance.update")) {
            StringBuilder sb = new StringBuilder("# test\tstatus (libiscsi iscsi-test-cu against the standalone file LUN)\n");
            results.forEach((k, v) -> sb.append(k).append('\t').append(v).append('\n'));
            Files.createDirectories(expectedFile.getParent());
            Files.writeString(expectedFile, sb.toString(), StandardCharsets.UTF_8);
            return;
        }
        Map<String, String> expected = read(expectedFile);
        List<String> regressions = new ArrayList<>();
        results.forEach((test, status) -> {
            String want = expected.get(test);
            boolean failing = !status.equals("PASS") && !status.equals("SKIP");
            if ("PASS".equals(want) && !status.equals("PASS")) {
                regressions.add(test + ": expected PASS, got " + status);
            } else if (failing && !status.equals(want)) {
                regressions.add(test + ": " + status + " (expected " + want + ")");
            }
        });
        assertThat(regressions).as("conformance regressions (details in " + out + ")").isEmpty();
    }

    /** tests.tsv rows "family suite test status ..." (or expected.tsv "name status") to name -> status. */
    static Map<String, String> read(Path tsv) throws Exception {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : Files.readAllLines(tsv, StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.startsWith("#") || line.startsWith("family\t")) {
                continue;
            }
            String[] f = line.split("\t");
            if (f.length >= 4 && !f[0].contains(".")) {
                m.put(f[0] + "." + f[1] + "." + f[2], f[3]);
            } else if (f.length >= 2) {
                m.put(f[0], f[1]);
            }
        }
        return m;
    }
}
