package io.rbdgw.it;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * libiscsi's conformance suite against the standalone gateway's scratch file LUN; expected verdicts
 * in src/test/resources/conformance/expected.tsv (see {@link ConformanceSuite}). Target resets are allowed
 * here ({@code --allow-target-reset}) so that Reserve6.TargetWarmReset/TargetColdReset test them; with the
 * default (refused) those two print [SKIPPED].
 */
class ConformanceIT {

    @TempDir
    Path dir;

    @Test
    void libiscsiConformanceSuiteHasNoRegressions() throws Exception {
        ConformanceSuite suite = new ConformanceSuite("conformance", "the standalone file LUN");
        Map<String, String> results;
        try (GatewayProcess gw =
                GatewayProcess.standalone(dir.resolve("data"), "--lun-size", "1G", "--allow-target-reset")) {
            results = suite.run(gw);
        }
        suite.check(results, "expected.tsv");
    }
}
