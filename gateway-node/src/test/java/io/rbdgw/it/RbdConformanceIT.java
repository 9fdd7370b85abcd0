package io.rbdgw.it;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * libiscsi's conformance suite against a 1 GiB RBD image on the real test cluster served by the
 * standalone gateway; expected verdicts in src/test/resources/conformance/expected-rbd.tsv (see
 * {@link ConformanceSuite}).
 */
class RbdConformanceIT {

    @TempDir
    Path dir;

    @Test
    void libiscsiConformanceSuiteOnAnRbdLunHasNoRegressions() throws Exception {
        ConformanceSuite suite = new ConformanceSuite("conformance-rbd", "a 1 GiB RBD image LUN");
        String image = TestCluster.createImage("rbdconf", "1G");
        Map<String, String> results;
        try (GatewayProcess gw = GatewayProcess.rbd(dir.resolve("data"), image, "--allow-target-reset")) {
            results = suite.run(gw);
        } finally {
            TestCluster.removeImage(image);
        }
        suite.check(results, "expected-rbd.tsv");
    }
}
