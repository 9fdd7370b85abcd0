package io.rbdgw.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * libiscsi's conformance suite (iscsi-test-cu, SCSI and iSCSI families, destructive tests) through
 * scripts/iscsi-conformance.sh against a running gateway, checked against expected verdicts
 * committed in src/test/resources/conformance/. A test that passed there must still pass, and no
 * test may fail unless it is expected to fail in exactly that way. {@code -Dconformance.update=true}
 * rewrites the expected file from this run instead (after an improvement).
 */
final class ConformanceSuite {

    private final Path root =
            Path.of(System.getProperty("project.root", "..")).toAbsolutePath().normalize();
    private final String name;
    private final String description;

    /**
     * @param name        base name: results go to gateway-node/target/NAME, expectations live in
     *                    src/test/resources/conformance/EXPECTED
     * @param description what the LUN is, for the expected file's header
     */
    ConformanceSuite(String name, String description) {
        this.name = name;
        this.description = description;
    }

    Path outDir() {
        return root.resolve("gateway-node/target/" + name);
    }

    /** Runs the suite against LUN 0 of the gateway, which must survive it. Returns test -> status. */
    Map<String, String> run(GatewayProcess gw) throws Exception {
        Path out = outDir();
        Cmd run = Cmd.run(
                1800,
                Map.of("SUITE_TIMEOUT", "120", "TEST_TIMEOUT", "40"),
                List.of("bash", root.resolve("scripts/iscsi-conformance.sh").toString(), gw.lunUrl(0), out.toString()));
        System.out.println(run.output());
        Files.createDirectories(out);
        Files.writeString(out.resolve("gateway.log"), gw.output());
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(gw.process().isAlive())
                .as("the gateway survived the suite:\n" + gw.output())
                .isTrue();
        Map<String, String> results = read(out.resolve("tests.tsv"));
        assertThat(results).as("conformance results").hasSizeGreaterThan(100);
        return results;
    }

    /** Compares with (or, with -Dconformance.update=true, rewrites) src/test/resources/conformance/EXPECTED. */
    void check(Map<String, String> results, String expectedName) throws Exception {
        Path expectedFile = root.resolve("gateway-node/src/test/resources/conformance/" + expectedName);
        long pass = results.values().stream().filter("PASS"::equals).count();
        long fail = results.values().stream().filter(ConformanceSuite::failing).count();
        System.out.printf(
                "conformance (%s): %d tests, %d pass, %d not passing (fail/timeout/crash), %d skip%n",
                description, results.size(), pass, fail, results.size() - pass - fail);

        if (Boolean.getBoolean("conformance.update")) {
            StringBuilder sb =
                    new StringBuilder("# test\tstatus (libiscsi iscsi-test-cu against " + description + ")\n");
            results.forEach((k, v) -> sb.append(k).append('\t').append(v).append('\n'));
            Files.createDirectories(expectedFile.getParent());
            Files.writeString(expectedFile, sb.toString(), StandardCharsets.UTF_8);
            return;
        }
        assertThat(expectedFile)
                .as("expected verdicts (generate with -Dconformance.update=true)")
                .isReadable();
        Map<String, String> expected = read(expectedFile);
        List<String> regressions = new ArrayList<>();
        results.forEach((test, status) -> {
            String want = expected.get(test);
            if ("PASS".equals(want) && !status.equals("PASS")) {
                regressions.add(test + ": expected PASS, got " + status);
            } else if (failing(status) && !status.equals(want)) {
                regressions.add(test + ": " + status + " (expected " + want + ")");
            }
        });
        assertThat(regressions)
                .as("conformance regressions (details in " + outDir() + ")")
                .isEmpty();
    }

    private static boolean failing(String status) {
        return !status.equals("PASS") && !status.equals("SKIP");
    }

    /** tests.tsv rows "family suite test status ..." (or expected file rows "name status") to name -> status. */
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
